"""gunicorn's settings for the web process (read from the working directory when it starts).

Python's garbage collector, in a worker:

- After a worker has loaded the app, its objects (Django, the URL map) are moved out of the
  collector's reach with `gc.freeze()`, which the Python documentation recommends for long-lived
  processes that fork: a full collection no longer walks them.
- A request makes tens of thousands of short-lived objects, some of them in reference cycles
  (a request, its template contexts) that only the collector frees. Left to itself, the collector
  runs when allocations pass a threshold, in the middle of whichever request passes it: on the
  seeded clinic, a young collection every few requests took 1–5 ms and a full one, every hundred
  or so, 15–30 ms, in the request that paid for it (the benchmark's p95 and p99).
- So the collector runs between requests instead: once the response has been written
  (`post_request`), the young generations every request and all of them every
  FULL_COLLECTION_EVERY requests. The automatic collection stays on with a high threshold, as a
  safety net for a request that makes far more objects than usual (a report, an export).
"""

import gc

# Objects allocated (net) before the collector runs by itself during a request.
SAFETY_NET_THRESHOLD = 50_000
FULL_COLLECTION_EVERY = 200

_served = 0


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
    gc.set_threshold(SAFETY_NET_THRESHOLD, 10, 10)


def post_request(worker, req, environ, resp):
    # The response has been sent (gunicorn's sync worker calls this after writing it).
    global _served
    _served += 1
    if _served % FULL_COLLECTION_EVERY == 0:
        gc.collect()
    else:
        gc.collect(1)
