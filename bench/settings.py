"""The app's own settings with the benchmark's URLs on top: the app's pages plus a bare endpoint
(`/bench/hello`) that passes through exactly the same middleware, as the baseline for served figures."""

from yunlou.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
