"""Cross-thread call_soon_threadsafe() latency on an idle asyncio loop (uvloop's with
--uvloop).  The loop runs run_forever() with nothing to do; a producer thread calls
loop.call_soon_threadsafe(cb) and waits for cb.  Prints one JSON line: p50/p90/p99/max
latency in µs from the call to the callback.
"""

import bench_common as bc
import xthread_common as xc


def main():
    a = xc.parse_args(__doc__, uvloop_flag=True)
    loop, impl, version = bc.new_asyncio_loop(a.uvloop)
    probe = xc.Probe(a)
    probe.request = lambda: loop.call_soon_threadsafe(probe.on_callback)
    probe.stop = loop.stop
    probe.start()
    loop.run_forever()
    res = probe.result(impl, version=version)
    loop.close()
    xc.emit(res)


if __name__ == "__main__":
    main()
