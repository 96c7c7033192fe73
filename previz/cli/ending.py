"""How the ``previz`` process ends once its command has returned: what the interpreter's own
exit would do that anyone can see, without the rest.

After a build, the interpreter's exit tears down ~100 MB of objects one by one (modules, the
imported libraries, the cut) to hand memory back that the operating system takes back whole
anyway: ~25 ms of a one-shot build's wall, after everything was written. :func:`end` does
what that exit does that leaves a trace — the ``atexit`` handlers run (``logging.shutdown``,
``multiprocessing``'s, a plugin's, coverage's), the standard streams are flushed, the exit
status is the one ``sys.exit`` would give — then ends the process with :func:`os._exit`.

It is only for the process's last act (:func:`previz.cli.run` called by the program's top
level, :func:`is_process_entry`), and only when nothing else still runs in it: another
thread alive (the interpreter would wait for it), a stream that cannot take its output, an
exit status that is not a number, an interactive session to follow — then :func:`end`
returns and the interpreter ends the process as always. What the build writes is written
and closed before its command returns (each file in a ``with`` block and replaced whole, the
export workers and the animatic's helper waited for, the journal closed); nothing previz
makes is left for the teardown to finish.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback
import types

_C_INT = range(-(2**31), 2**31)

_FLUSH_FAILED = 120
"""The status the interpreter gives when a standard stream cannot be flushed at exit."""


def is_process_entry(caller: types.FrameType) -> bool:
    """Whether ``caller`` is the program's top-level code — the ``previz`` console script or
    ``python -m previz`` — with nothing around it that would run after it (a profiler, a
    program running the module through :mod:`runpy`)."""
    if caller.f_code.co_name != "<module>" or caller.f_globals.get("__name__") != "__main__":
        return False
    outer = caller.f_back
    while outer is not None:  # python -m: only runpy's own frames
        if outer.f_globals.get("__name__") != "runpy":
            return False
        outer = outer.f_back
    return True


def status(code: object) -> int | None:
    """The process's exit status for :class:`SystemExit` ``code``, as the interpreter gives it
    (``None`` is 0); None for a code it would print (a message) or cannot pass on."""
    if code is None:
        return 0
    if isinstance(code, int) and code in _C_INT:
        return int(code)
    return None


def end(exit_status: int) -> None:
    """End the process with ``exit_status`` after its ``atexit`` handlers and a flush of the
    standard streams; return (and leave the ending to the interpreter) if that would not be
    the same as the interpreter's own ending."""
    if threading.active_count() > 1 or sys.flags.inspect or os.environ.get("PYTHONINSPECT"):
        return
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's; else as always
    if run_exit_handlers is None or not _flushed(report=False):
        return
    run_exit_handlers()
    os._exit(exit_status if _flushed(report=True) else _FLUSH_FAILED)


def flushed() -> bool:
    """Flush the standard output and error streams as the interpreter does at exit (a failure
    reported on stderr); False if one of them failed."""
    return _flushed(report=True)


def _flushed(*, report: bool) -> bool:
    """Flush the standard output and error streams; False if one of them failed."""
    done = True
    for stream in dict.fromkeys((sys.stdout, sys.__stdout__, sys.stderr, sys.__stderr__)):
        if stream is None or getattr(stream, "closed", False):
            continue
        try:
            stream.flush()
        except Exception as error:  # a closed pipe: reported as the interpreter would
            done = False
            if report and stream in (sys.stdout, sys.__stdout__):
                _report(error)
    return done


def _report(error: Exception) -> None:
    try:
        print("Exception ignored on flushing sys.stdout:", file=sys.stderr)
        traceback.print_exception(error, file=sys.stderr)
        sys.stderr.flush()
    except Exception:  # stderr is gone too: the exit status says it
        pass
