"""gunicorn's settings for the web process (read from the working directory when it starts).

After a worker has loaded the app, its objects (Django, the URL map, the compiled templates) are
moved out of the garbage collector's reach with `gc.freeze()`. A request makes tens of thousands
of short-lived objects; without the freeze, each full collection they trigger also walks the
hundreds of thousands of objects that live as long as the worker, and the request that pays for
it is one of the slowest (the benchmark's p95). The Python documentation recommends the freeze
for long-lived processes that fork.
"""

import gc


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
