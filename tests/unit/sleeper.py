"""A process that only waits to be killed: what the fleet supervisor's tests supervise."""

import time

time.sleep(3600)
