"""Helpers for tests that prove a guarantee under real parallel database connections (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and parallel connections are proven on PostgreSQL (CI's first run)",
)


def race(*actions):
    """Run each action in its own thread and connection, released together; return results or exceptions."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            outcomes[index] = action()
        except Exception as exc:  # the loser's exception is the point of the test
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
