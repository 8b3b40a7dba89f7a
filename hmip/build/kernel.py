"""The project's Jupyter kernel: private transport, lifetime, warm start, and notebook hygiene checks.

``python -m hmip.build.kernel check`` confirms the ``hmip`` kernelspec runs this environment's Python,
so papermill and nbval never fall back to some other ``python3`` on the machine.
``python -m hmip.build.kernel check-notebooks notebooks`` confirms notebooks are stored without outputs,
with a cell tagged ``parameters`` and the ``hmip`` kernelspec.

Private transport: every kernel the project starts talks over IPC (Unix domain sockets), never TCP.
Its connection file and sockets live in a private directory (mode 0700) that is removed when the
kernel is shut down (:class:`IPCKernelManager`). A directory left by a killed process is removed by
:func:`remove_stale_kernel_dirs` (each holds the pid of the process that made it).

Warm start: :class:`ForkedKernelManager` starts the kernel by forking the current process, which has
already imported the heavy libraries (:func:`warm_imports`), so a report pays no imports, yet each
kernel serves one report only and starts from the same clean state.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
import uuid
from pathlib import Path

from hmip.errors import KernelError

KERNEL_NAME = "hmip"
KERNEL_DIR_PREFIX = "hmip-kernel-"
_PR_SET_PDEATHSIG = 1

#: Imported once per report worker, before any kernel is forked from it.
WARM_MODULES = (
    "numpy",
    "pandas",
    "pandas.io.formats.html",  # pandas imports these on first use (to_html, to_dict, pivot/unstack):
    "pandas.core.methods.to_dict",  # every report would import them again
    "pandas.core.reshape.reshape",
    "scipy.stats",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_agg",
    "matplotlib_inline.backend_inline",
    "PIL.PngImagePlugin",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.comm",
    "ipykernel.debugger",
    "jupyter_client.blocking",
    "jupyter_client.asynchronous",
)


# --- Process lifetime -------------------------------------------------------------------------------------
def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies (prctl PR_SET_PDEATHSIG).
    Returns False where that is not available; callers also watch ``os.getppid()``."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


_PR_SET_CHILD_SUBREAPER = 36


def set_child_subreaper() -> bool:
    """Make this process the subreaper of its descendants (prctl PR_SET_CHILD_SUBREAPER): an orphan
    below it (a process a notebook started, whose kernel has died) becomes its child, not init's, so
    it can be found and stopped. Linux only; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


# --- Private directories ----------------------------------------------------------------------------------
def runtime_root() -> Path:
    """Where private kernel directories go: $XDG_RUNTIME_DIR when usable, else the temp folder
    (short paths: a Unix socket path must stay under 108 bytes)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg) and os.access(xdg, os.W_OK):
        return Path(xdg)
    return Path(tempfile.gettempdir())


def private_kernel_dir() -> Path:
    """A new directory only this user can enter (mkdtemp makes it 0700), with an owner pid file."""
    path = Path(tempfile.mkdtemp(prefix=KERNEL_DIR_PREFIX, dir=runtime_root()))
    os.chmod(path, stat.S_IRWXU)
    (path / "owner.pid").write_text(str(os.getpid()), encoding="ascii")
    return path


def remove_stale_kernel_dirs(root: Path | None = None) -> list[Path]:
    """Remove private kernel directories whose owning process is gone (e.g. killed with SIGKILL)."""
    removed = []
    root = root or runtime_root()
    for d in root.glob(f"{KERNEL_DIR_PREFIX}*"):
        try:
            if d.stat().st_uid != os.getuid():
                continue
            pid = int((d / "owner.pid").read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if not pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


# --- Kernel managers --------------------------------------------------------------------------------------
@functools.cache
def _ready_client_class():
    """jupyter_client's asynchronous client, ready as soon as the kernel has answered.

    jupyter_client's ``wait_for_ready`` takes the kernel_info reply and one IOPub message as proof that
    the kernel answers and IOPub is connected, then listens to IOPub until it has been silent for
    0.2 s: every report waited those 0.2 s (issue 25). This one waits for the same proof, made exact:
    the reply to its own kernel_info request on the shell channel and that request's 'idle' status
    on IOPub (the last message the kernel sends for it, so nothing of it is left to drain). Without
    both within 0.2 s (an IOPub not yet connected drops messages), it asks again, as jupyter_client
    does, until ``timeout``."""
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class ReadyKernelClient(AsyncKernelClient):
        async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                msg_id = self.kernel_info()
                replied = idle = False
                ask_again = time.monotonic() + 0.2
                while not (replied and idle) and time.monotonic() < ask_again:
                    if not replied:
                        with contextlib.suppress(Empty):
                            msg = await ensure_async(self.shell_channel.get_msg(timeout=0.02))
                            if (
                                msg["msg_type"] == "kernel_info_reply"
                                and msg["parent_header"].get("msg_id") == msg_id
                            ):
                                self._handle_kernel_info_reply(msg)
                                replied = True
                    with contextlib.suppress(Empty):
                        msg = await ensure_async(self.iopub_channel.get_msg(timeout=0.02))
                        idle = idle or (
                            msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"
                            and msg["parent_header"].get("msg_id") == msg_id
                        )
                if replied and idle:
                    return
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

        wait_for_ready = _async_wait_for_ready

    return ReadyKernelClient


@functools.cache
def _ipc_manager_classes():
    """The IPC kernel manager classes, made once a process (a build's warm process makes them before it
    forks: traitlets classes take milliseconds to create, and every report used to make them anew)."""
    from jupyter_client.manager import AsyncKernelManager, KernelManager
    from jupyter_core.utils import run_sync

    class _IPCMixin:
        """Transport ``ipc`` with the connection file and sockets in a private directory, removed on
        shutdown. Pass ``kernel_name`` as usual; do not pass ``connection_file``."""

        def __init__(self, private_dir: Path | None = None, **kwargs):
            self.private_dir = Path(private_dir) if private_dir else private_kernel_dir()
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("connection_file", str(self.private_dir / "kernel.json"))
            kwargs.setdefault("ip", str(self.private_dir / "k"))
            super().__init__(**kwargs)

        def format_kernel_cmd(self, extra_arguments=None):
            """This Python's ipykernel is started through :func:`launch_kernel_app` (private pipe)."""
            cmd = super().format_kernel_cmd(extra_arguments)
            if "ipykernel_launcher" in cmd and cmd.index("ipykernel_launcher") > 0:
                i = cmd.index("ipykernel_launcher")
                if cmd[i - 1] == "-m" and Path(cmd[0]).resolve() == Path(sys.executable).resolve():
                    cmd = [*cmd[: i - 1], "-m", "hmip.build.kernel", "launch", *cmd[i + 1 :]]
            return cmd

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self.private_dir, ignore_errors=True)

        def remove_private_dir(self) -> None:
            shutil.rmtree(self.private_dir, ignore_errors=True)

    class IPCKernelManager(_IPCMixin, AsyncKernelManager):
        """Asynchronous (what nbclient and papermill use); its clients are ready without jupyter_client's
        0.2 s of listening for silence (:func:`_ready_client_class`)."""

        cleanup_resources = _IPCMixin._async_cleanup_resources

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.client_factory = _ready_client_class()

    class BlockingIPCKernelManager(_IPCMixin, KernelManager):
        """Blocking (what nbval uses)."""

        cleanup_resources = run_sync(_IPCMixin._async_cleanup_resources)

    return IPCKernelManager, BlockingIPCKernelManager


def ipc_kernel_manager(kernel_name: str = KERNEL_NAME, *, blocking: bool = False, **kwargs):
    """A kernel manager for a kernel over IPC in a private directory (not started yet)."""
    async_cls, blocking_cls = _ipc_manager_classes()
    return (blocking_cls if blocking else async_cls)(kernel_name=kernel_name, **kwargs)


@contextlib.contextmanager
def ipc_kernel(kernel_name: str = KERNEL_NAME):
    """For papermill and nbclient: ``execute_notebook(..., km=km)``. nbclient starts the kernel if
    needed; on leaving, the kernel is stopped and its private directory removed."""
    from jupyter_core.utils import run_sync

    km = ipc_kernel_manager(kernel_name)
    try:
        yield km
    finally:
        try:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        finally:
            km.remove_private_dir()


def use_ipc_for_nbval() -> None:
    """Make nbval start its kernels over IPC in a private directory (pytest plugin hook)."""
    import nbval.kernel

    original = nbval.kernel.start_new_kernel

    def start_new_kernel(startup_timeout=60, kernel_name="python", **kwargs):
        km = ipc_kernel_manager(
            kernel_name, blocking=True, kernel_spec_manager=nbval.kernel.NbvalKernelspecManager()
        )
        km.start_kernel(**kwargs)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            raise
        return km, kc

    start_new_kernel.original = original
    nbval.kernel.start_new_kernel = start_new_kernel


# --- Warm kernels -----------------------------------------------------------------------------------------
def warm_imports(extra: list[str] | tuple[str, ...] = ()) -> float:
    """Import the heavy libraries (and ``extra`` modules) once; returns the seconds it took. Sets
    MPLBACKEND first exactly as ipykernel would, so a forked kernel sees what a fresh one would."""
    import importlib

    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    start = time.perf_counter()
    for name in (*WARM_MODULES, *extra):
        with contextlib.suppress(Exception):  # a missing optional module is the kernel's business
            importlib.import_module(name)
    return time.perf_counter() - start


def forkable(kernel_name: str = KERNEL_NAME) -> bool:
    """Can a kernel be forked from this process? Only when the kernelspec runs this very interpreter
    with ipykernel; otherwise kernels are started the ordinary way."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return False
    return (
        Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()
        and "ipykernel_launcher" in spec.argv
        and "-f" in spec.argv
        and not spec.env
    )


def interpreter_flags(kernel_name: str = KERNEL_NAME) -> list[str]:
    """The interpreter options the kernelspec passes (e.g. ``-Xfrozen_modules=off`` for the debugger):
    a warm worker is started with them, so the kernels forked from it match launched ones."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except NoSuchKernel:
        return []
    if "-m" not in argv:
        return []
    return [a for a in argv[1 : argv.index("-m")] if a.startswith("-X")]


class _ForkedChild:
    """The subset of ``subprocess.Popen`` that jupyter_client's LocalProvisioner uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"kernel {self.pid} still running")
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, sig):
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


def _run_forked_kernel(cmd: list[str], cwd: str | None, env: dict, parent: int) -> None:
    """In the forked child: become an ipykernel serving the connection file in ``cmd``."""
    import asyncio

    os.setsid()  # its own process group, as jupyter_client's launcher does
    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    signal.alarm(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    asyncio.set_event_loop(asyncio.new_event_loop())
    if cwd:
        os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    os.environ["JPY_PARENT_PID"] = str(parent)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    # a report's kernel keeps no input history on disk: IPython's SQLite history (one database for
    # every kernel of the user) cost each report a write and a commit per cell, with the other
    # workers' kernels writing to the same file (issue 25); inputs are in the notebook
    args = [
        *cmd[cmd.index("-f") :],
        f"--IPKernelApp.parent_handle={parent}",
        "--HistoryManager.enabled=False",
    ]
    sys.argv = ["ipykernel_launcher", *args]
    launch_kernel_app(args)


def _private_iopub_pipe(connection_file: str) -> None:
    """ipykernel forwards output from processes a notebook forks through a pipe it binds to a random
    loopback TCP port. Bind it to a Unix socket in the kernel's private directory instead, so the
    kernel listens on no TCP port at all."""
    import zmq
    from ipykernel import iostream, kernelapp
    from zmq.eventloop.zmqstream import ZMQStream

    path = f"ipc://{Path(connection_file).resolve().parent / 'iopub-pipe'}"

    class PrivatePipeIOPubThread(iostream.IOPubThread):
        def _setup_pipe_in(self):
            self._pipe_uuid = os.urandom(16)
            pipe_in = self.socket.context.socket(zmq.PULL)
            pipe_in.linger = 0
            pipe_in.bind(path)
            self._pipe_port = 0
            self._pipe_in = ZMQStream(pipe_in, self.io_loop)
            self._pipe_in.on_recv(self._handle_pipe_msg)

        def _setup_pipe_out(self):
            ctx = zmq.Context()
            pipe_out = ctx.socket(zmq.PUSH)
            pipe_out.linger = 3000
            pipe_out.connect(path)
            return ctx, pipe_out

    kernelapp.IOPubThread = PrivatePipeIOPubThread


def launch_kernel_app(args: list[str]) -> None:
    """Run ipykernel's IPKernelApp (as ``ipykernel_launcher`` does) with its subprocess-output pipe on
    a private Unix socket when the kernel's transport is IPC."""
    from ipykernel.kernelapp import IPKernelApp

    connection_file = args[args.index("-f") + 1] if "-f" in args else ""
    with contextlib.suppress(OSError, ValueError, KeyError):
        with open(connection_file, encoding="utf-8") as fh:
            if json.load(fh)["transport"] == "ipc":
                _private_iopub_pipe(connection_file)
    app = IPKernelApp.instance()
    app.initialize(args)
    app.start()


@functools.cache
def _forked_manager_class():
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    ipc_cls, _ = _ipc_manager_classes()

    class ForkedKernelManager(ipc_cls):
        """An IPC kernel started by forking this (warm) process: call :meth:`start_forked` outside
        any running event loop, then hand the manager to papermill (``km=``)."""

        forked = True

        def start_forked(self, cwd: str | None = None) -> int:
            self.kernel_id = self.kernel_id or str(uuid.uuid4())
            self.write_connection_file()
            cmd = self.format_kernel_cmd()
            env = {**os.environ, **(self.kernel_spec.env or {})}
            parent = os.getpid()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the kernel process
                try:
                    _run_forked_kernel(cmd, cwd, env, parent)
                except BaseException:  # noqa: BLE001
                    import traceback

                    traceback.print_exc()
                finally:
                    os._exit(0)
            prov = LocalProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
            prov.process, prov.pid, prov.pgid = _ForkedChild(pid), pid, pid
            prov.connection_info = self.get_connection_info()
            prov.cwd = cwd
            self.provisioner = prov
            return pid

    return ForkedKernelManager


def forked_kernel_manager(kernel_name: str = KERNEL_NAME, **kwargs):
    return _forked_manager_class()(kernel_name=kernel_name, **kwargs)


def kernel_python(name: str = KERNEL_NAME) -> str:
    """The interpreter the named kernelspec starts."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise KernelError(f"no Jupyter kernel named '{name}': run `make install`") from None
    return spec.argv[0]


def check_kernel(name: str = KERNEL_NAME) -> str:
    python = kernel_python(name)
    if Path(python).resolve() != Path(sys.executable).resolve():
        raise KernelError(
            f"the '{name}' kernel runs {python}, not this environment's {sys.executable}: run `make install`"
        )
    return python


def notebook_problems(path: Path) -> list[str]:
    problems = []
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    if any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"):
        problems.append(f"{path}: committed with outputs; run `make format` (nbstripout)")
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells):
        problems.append(f"{path}: no cell tagged 'parameters'")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != KERNEL_NAME:
        problems.append(f"{path}: kernelspec is not '{KERNEL_NAME}'")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check"]:
        try:
            print(f"kernel '{KERNEL_NAME}' -> {check_kernel()}")
        except KernelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    if argv[:1] == ["launch"]:  # a kernel, started by IPCKernelManager
        if sys.path and sys.path[0] == "":
            del sys.path[0]
        launch_kernel_app(argv[1:])
        return 0
    if argv[:1] == ["check-notebooks"]:
        folder = Path(argv[1] if len(argv) > 1 else "notebooks")
        problems = [p for nb in sorted(folder.glob("*.ipynb")) for p in notebook_problems(nb)]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    print("usage: python -m hmip.build.kernel check | check-notebooks [DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
