"""Put this directory on a child process's PYTHONPATH to zero botocore's retry backoff in it.

botocore still retries exactly as it decides to; it only does not sleep between
attempts, so a fault that outlasts every retry costs milliseconds, not ~35 s.
The same idea as tests/reliability's ``retry_delays`` fixture, for processes the
test cannot monkeypatch (the plugin under the real engine, the dynamic-provider server).
"""

from botocore.retries import standard

standard.ExponentialBackoff.delay_amount = lambda self, context: 0.0
