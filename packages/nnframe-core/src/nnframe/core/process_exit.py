"""End the ``nnframe`` process without Python's interpreter teardown.

After a run, the interpreter's finalisation frees the ~3700 modules that torch, torchvision and
Lightning import, one object at a time: 1.4 s of CPU after the last line was printed, on a 2-core
machine where the whole cls demo takes ~12 s. Python offers no switch for it, so
:func:`exit_now` first does what a normal exit does that has an effect outside the process
(other threads are joined, the ``atexit`` handlers run: logging's flush, Hydra's log file,
temporary folders, multiprocessing's children; every open Python file is flushed), then leaves
with ``os._exit``. Distributed runs keep the normal exit: their processes end together.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import io
import os
import sys
import threading
from typing import NoReturn

_BUFFERED_FILES = (io.TextIOWrapper, io.BufferedWriter, io.BufferedRandom)  # what open() returns for writing

#: Set (to anything) for Python's normal exit, e.g. to debug a finaliser.
NORMAL_EXIT_VARIABLE = "NNFRAME_NORMAL_EXIT"


def fast_exit_allowed() -> bool:
    """Whether this process may skip the teardown: not a rank of a distributed run (Lightning's
    launcher and torchrun set ``WORLD_SIZE``), and not asked for the normal exit."""
    if os.environ.get(NORMAL_EXIT_VARIABLE):
        return False
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) <= 1
    except ValueError:
        return False


def _join_other_threads() -> None:
    """Wait for the non-daemon threads, as the interpreter does before it runs ``atexit``."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon and thread.is_alive():
            thread.join()


def _flush_open_files() -> None:
    """Flush every open, writable Python file: the teardown would have, as it closed them."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    # The buffered file types by identity: an isinstance check against io.IOBase (an ABC) took
    # 0.24 s over the ~450k objects of a run and touched deprecated attributes of torch's modules.
    for obj in gc.get_objects():
        if type(obj) in _BUFFERED_FILES:
            with contextlib.suppress(OSError, ValueError):
                if not obj.closed and obj.writable():
                    obj.flush()


def exit_now(code: int) -> NoReturn:
    """Leave the process with ``code`` after the effects of a normal exit, without the teardown."""
    _join_other_threads()
    atexit._run_exitfuncs()  # the registered handlers, once (os._exit would skip them)
    _flush_open_files()
    os._exit(code)
