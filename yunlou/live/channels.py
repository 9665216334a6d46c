"""Names the publisher (Django) and the event server (ASGI) share, so that neither imports the other.

A launch's changes live under three Redis keys: `launch:<id>` (pub/sub channel, one JSON message per change),
`launch:<id>:events` (a stream of the same messages, the last ~1000, whose entry ids are `<seq>-0`) and
`launch:<id>:version` (the counter that numbers them). One sequence number per launch is the event id the
browser sends back as Last-Event-ID and the version the polling fallback compares: any change bumps it.
"""

STREAM_LENGTH = 1000
KEEP_SECONDS = 7 * 86_400  # a launch's stream and counter outlive it by a week, then Redis forgets them


def channel(launch_id: int) -> str:
    return f"launch:{launch_id}"


def stream_key(launch_id: int) -> str:
    return f"launch:{launch_id}:events"


def version_key(launch_id: int) -> str:
    return f"launch:{launch_id}:version"


def seq_of(entry_id: bytes | str) -> int:
    """The sequence number of a stream entry id (`b"17-0"` → 17)."""
    if isinstance(entry_id, bytes):
        entry_id = entry_id.decode()
    return int(entry_id.partition("-")[0])
