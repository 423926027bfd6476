"""gunicorn settings for the portal's web processes (`make serve-prod`, Procfile, systemd).

Every value comes from the environment so one file serves a laptop and a web machine behind a
load balancer. The access log writes the path without its query string (%(U)s): no search
term or token ever reaches a log line.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, multiprocessing.cpu_count()))))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))  # a receipt PDF renders in the worker, not here
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # a worker is recycled now and then: memory stays flat over a December
max_requests_jitter = 200
preload_app = True  # the app and its translations load once, before the fork
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
