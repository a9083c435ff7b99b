"""Starts a Jupyter kernel again and again, the way Jupyter does, and counts the starts that work.

Each start: launch the kernel from its kernel.json (JUPYTER_PATH decides where that is found), wait until it answers
kernel_info, ask kernel_info once more, execute "1+1" and expect the result 2, ask it to shut down, and kill its
process by id if it is still there after a few seconds. Every step is bounded in time, so a hung start counts as a
failure instead of hanging this script.

    /usr/bin/python3 check_kernel.py --kernel sparknorm-java --starts 20

Prints one line per start and then "kernel starts: N of M"; exits 1 unless every start worked. notebooks/run
--check-kernel N runs this with the kernel.json it writes.
"""

import argparse
import os
import signal
import sys
import time

from jupyter_client import KernelManager


def one_start(kernel_name, timeout):
    """Returns (ok, seconds, message)."""
    started = time.monotonic()
    km = KernelManager(kernel_name=kernel_name)
    km.shutdown_wait_time = 5.0
    kc = None
    pid = None
    try:
        km.start_kernel()
        process = getattr(km.provisioner, "process", None)
        pid = process.pid if process is not None else None
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=timeout)
        info = kc.kernel_info(reply=True, timeout=timeout)
        language = info["content"].get("language_info", {}).get("name")
        if info["content"].get("status", "ok") != "ok" or not language:
            return False, time.monotonic() - started, "kernel_info reply without a language: %r" % info["content"]
        results = []

        def on_output(msg):
            if msg["header"]["msg_type"] == "execute_result":
                data = msg["content"]["data"]  # this kernel renders results as text/html
                results.append((data.get("text/plain") or data.get("text/html") or "").strip())

        reply = kc.execute_interactive("1+1", timeout=timeout, output_hook=on_output)
        if reply["content"].get("status") != "ok":
            return False, time.monotonic() - started, "execute status %r" % reply["content"].get("status")
        if results != ["2"]:
            return False, time.monotonic() - started, "1+1 gave %r, not '2'" % (results,)
        return True, time.monotonic() - started, "kernel_info ok (language %s), 1+1 = 2" % language
    except Exception as e:  # a timeout (a hung start) or a dead kernel
        return False, time.monotonic() - started, "%s: %s" % (type(e).__name__, e)
    finally:
        if kc is not None:
            kc.stop_channels()
        try:
            km.shutdown_kernel(now=False)
        except Exception:
            pass
        if pid is not None:
            try:
                os.kill(pid, 0)
            except OSError:
                pass  # gone, as it should be
            else:
                print("  kernel process %d still there after shutdown: killing it" % pid, flush=True)
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        km.cleanup_resources()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernel", required=True, help="kernel name (folder of its kernel.json)")
    parser.add_argument("--starts", type=int, default=20, help="how many starts (default 20)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds each step of a start may take (default 60)")
    args = parser.parse_args()
    if args.starts < 1:
        parser.error("--starts must be at least 1")

    ok_count = 0
    for i in range(1, args.starts + 1):
        ok, seconds, message = one_start(args.kernel, args.timeout)
        ok_count += ok
        print("start %2d: %s in %5.1f s: %s" % (i, "ok    " if ok else "FAILED", seconds, message), flush=True)
    print("kernel starts: %d of %d" % (ok_count, args.starts), flush=True)
    return 0 if ok_count == args.starts else 1


if __name__ == "__main__":
    sys.exit(main())
