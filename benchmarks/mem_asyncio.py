"""Memory per attached idle I/O event on asyncio's loop.add_reader (or uvloop's with
--uvloop).  asyncio allows one reader per fd, so this attaches one reader on each of FDS
eventfds (10,000 by default: the open-file limit is 20,000).  Reports the RSS delta
(/proc/self/statm) per reader, or with --tracemalloc the Python-heap delta (for uvloop
that covers only what goes through Python's allocators).  Prints one JSON line.
"""

import bench_common as bc
import mem_common as mc


def main():
    a = mc.parse_args(__doc__, per_fd=False, uvloop_flag=True)
    mc.start_tracemalloc(a)
    loop, impl, version = bc.new_asyncio_loop(a.uvloop)
    fds = mc.make_eventfds(a.fds + 1)
    spare = fds.pop()

    def cb():
        pass

    for _ in range(3):
        loop.add_reader(spare, cb)
        loop.remove_reader(spare)

    def attach_all():
        for fd in fds:
            loop.add_reader(fd, cb)

    res = mc.measure(a.fds, a.tracemalloc, attach_all)
    for fd in fds:
        loop.remove_reader(fd)
    loop.close()
    mc.close_fds([*fds, spare])
    bc.emit({"bench": "mem", "impl": impl, "fds": a.fds, "per_fd": 1, **res, "version": version})


if __name__ == "__main__":
    main()
