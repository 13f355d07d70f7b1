package org.dumm.netns.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import jnr.ffi.Pointer;

import org.dumm.api.ConsoleSession;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.api.spi.VethDriver;
import org.dumm.nativ.DescriptorConsole;
import org.dumm.nativ.Descriptors;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;
import org.dumm.nativ.net.LinkRequest;
import org.dumm.nativ.net.RtLink;

/**
 * A running netns guest: its first process (Dumm's agent, PID 1 of the guest's pid namespace),
 * watched through a pidfd; its agent channel; its cgroup (freezing); its veth peers, which the
 * backend hands into the guest's network namespace. When the first process ends, the kernel ends
 * every other process of the namespace and the namespace's veth ends with it.
 */
final class NetnsGuest implements GuestHandle {

    private static final System.Logger LOG = System.getLogger(NetnsGuest.class.getName());
    private static final long SYS_PIDFD_OPEN = 434;
    static final int OUTPUT_CAP = 4 << 20;

    private final String name;
    private final int pid;
    private final Path runDir;
    private final Cgroups cgroups;
    private final VethDriver veths;
    private final AgentLink agent;
    private final Path launcher;
    private final CompletableFuture<Boolean> exited = new CompletableFuture<>();
    private final Object netLock = new Object();
    /** A socket in the guest's network namespace, made at the first use; guarded by netLock. */
    private RtLink guestNet;
    private final Thread watcher;
    private final int pidfd;
    private volatile boolean asked;
    private volatile boolean detached;
    private volatile boolean paused;

    NetnsGuest(String name, int pid, Path runDir, Cgroups cgroups, VethDriver veths, AgentLink agent, Path launcher) {
        this.name = name;
        this.launcher = launcher;
        this.pid = pid;
        this.runDir = runDir;
        this.cgroups = cgroups;
        this.veths = veths;
        this.agent = agent;
        this.paused = Files.exists(runDir.resolve("paused"));
        this.pidfd = (int) Native.libc().syscall(SYS_PIDFD_OPEN, pid, 0);
        if (pidfd < 0) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name + "': pidfd_open(" + pid + "): "
                    + Native.libc().strerror(Native.errno()));
        }
        this.watcher = new Thread(this::watch, "dumm-netns-exit-" + name);
        watcher.setDaemon(true);
        watcher.start();
    }

    private void watch() {
        LibC c = Native.libc();
        Pointer pfd = Native.allocate(8);
        while (!detached) {
            pfd.putInt(0, pidfd);
            pfd.putShort(4, Fcntl.POLLIN);
            pfd.putShort(6, (short) 0);
            if (c.poll(pfd, 1, 250) > 0) {
                break;
            }
        }
        c.close(pidfd);
        if (detached) {
            return;
        }
        agent.close();
        closeGuestNet();
        cgroups.killAll(name);
        try {
            cgroups.remove(name);
        } catch (DummException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
        NetnsBackend.removeRunFiles(runDir);
        if (!asked) {
            LOG.log(System.Logger.Level.WARNING, "netns guest {0} (pid {1}) died", name, pid);
        }
        exited.complete(asked);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public CompletionStage<Boolean> exited() {
        return exited;
    }

    @Override
    public boolean isAlive() {
        return !exited.isDone() && Files.exists(Path.of("/proc/" + pid));
    }

    @Override
    public void stop(Duration timeout) {
        if (!isAlive()) {
            return;
        }
        asked = true;
        long wait = timeout == null ? 5_000 : Math.max(100, Math.min(5_000, timeout.toMillis() / 2));
        try {
            if (paused) {
                resume();
            }
            // the guest's writes are in the host's page cache already; sync puts them on disk
            agent.call(AgentLink.OP_SYNC, new byte[0], (int) wait, 0, wait + 500);
        } catch (DummException e) {
            LOG.log(System.Logger.Level.DEBUG, "guest {0}: sync before stop failed: {1}", name, e.getMessage());
        }
        kill();
    }

    @Override
    public void kill() {
        asked = true;
        Native.libc().kill(pid, Fcntl.SIGKILL);
        cgroups.killAll(name);
        try {
            exited.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new DummException(Reason.TIMEOUT, "guest '" + name + "' (pid " + pid + ") did not end after SIGKILL");
        }
    }

    @Override
    public void pause() {
        requireRunning();
        cgroups.freeze(name, true);
        paused = true;
        try {
            Files.writeString(runDir.resolve("paused"), "");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "guest {0}: cannot record the pause: {1}", name, e.getMessage());
        }
    }

    @Override
    public void resume() {
        cgroups.freeze(name, false);
        paused = false;
        try {
            Files.deleteIfExists(runDir.resolve("paused"));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "guest {0}: {1}", name, e.getMessage());
        }
    }

    @Override
    public boolean isPaused() {
        return paused;
    }

    /** Hands the interface's veth peer into the guest as {@code ethN} with its MAC, up. */
    @Override
    public void plugInterface(InterfaceSpec iface) {
        requireRunning();
        veths.moveInto(iface.tap(), pid, iface.name(), iface.mac());
    }

    @Override
    public Completion plugInterfaceUp(InterfaceSpec iface, Runnable makeTap) {
        requireRunning();
        makeTap.run(); // the mesh makes the peer in this guest's namespace (PortKind.VETH), down
        if (veths.exists(VethDriver.peerName(iface.tap()))) {
            plugInterface(iface); // made in the host's namespace after all: hand it in, up
        } else {
            setLinkUp(iface.name(), true);
        }
        return () -> { };
    }

    /** The host deletes the pair afterwards, which takes the guest's end with it: down is enough here. */
    @Override
    public void unplugInterface(String ifaceName) {
        if (isAlive() && !paused) {
            try {
                setLinkUp(ifaceName, false);
            } catch (DummException e) {
                LOG.log(System.Logger.Level.DEBUG, "guest {0}: {1}", name, e.getMessage());
            }
        }
    }

    /**
     * Through a netlink socket made in the guest's network namespace (kept while the guest runs):
     * one request in the host's kernel, no round trip through the agent (a third of a hot-plug).
     */
    @Override
    public void setLinkUp(String ifaceName, boolean up) {
        requireRunning();
        synchronized (netLock) {
            try {
                if (guestNet == null) {
                    guestNet = RtLink.openInNetnsOf(pid);
                }
                guestNet.change(LinkRequest.named(ifaceName).up(up), "setting " + ifaceName + (up ? " up" : " down"));
            } catch (DummException e) {
                throw new DummException(Reason.GUEST_FAILURE, "guest '" + name + "': " + e.getMessage(), e);
            }
        }
    }

    private void closeGuestNet() {
        synchronized (netLock) {
            if (guestNet != null) {
                guestNet.close();
                guestNet = null;
            }
        }
    }

    /**
     * The guest's root is a copy of the host's mount in the guest's own namespace, which the
     * host's switch does not reach: the launcher moves the guest onto the new mount (see
     * {@code dumm-nslaunch --reroot}). Processes whose working directory is below the root keep
     * the old tree until they leave it. A paused guest is switched too (frozen processes keep
     * their place; the kernel moves their root).
     */
    @Override
    public void rootSwitched(Path union) {
        if (!isAlive()) {
            return; // its next start mounts the stack the host has now
        }
        org.dumm.nativ.RootSwitch.run(name, launcher, "--reroot", Integer.toString(pid), union.toString());
    }

    @Override
    public ExecResult exec(String command, Duration timeout) {
        return run(AgentLink.OP_EXEC, commandBytes(command, timeout, 0), timeout);
    }

    /** An agent from before shell sessions (a guest re-adopted) has none: the mesh then runs single execs. */
    @Override
    public java.util.OptionalInt openShell() {
        requireRunning();
        AgentLink.Reply r = agent.call(AgentLink.OP_SOPEN, new byte[0], 10_000, 0, 12_000);
        if (r.agentError()) {
            if (r.errText().startsWith("unknown operation")) {
                return java.util.OptionalInt.empty();
            }
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name + "': " + r.errText());
        }
        return java.util.OptionalInt.of(r.status());
    }

    @Override
    public ExecResult execInShell(int shell, String command, Duration timeout) {
        byte[] cmd = commandBytes(command, timeout, 4);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + cmd.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(shell).put(cmd);
        return run(AgentLink.OP_SEXEC, b.array(), timeout);
    }

    @Override
    public void closeShell(int shell) {
        if (isAlive() && !paused) {
            byte[] p = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(shell).array();
            agent.call(AgentLink.OP_SCLOSE, p, 5_000, 0, 6_000);
        }
    }

    /** The command's bytes, checked; {@code room} bytes of the payload go to a header before them. */
    private static byte[] commandBytes(String command, Duration timeout, int room) {
        if (command == null || command.isEmpty()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "command is empty");
        }
        byte[] cmd = command.getBytes(StandardCharsets.UTF_8);
        if (cmd.length + room > AgentLink.MAX_PAYLOAD) {
            throw new DummException(Reason.INVALID_ARGUMENT, "command is " + cmd.length + " bytes, at most "
                    + (AgentLink.MAX_PAYLOAD - room) + " allowed");
        }
        if (command.indexOf('\0') >= 0) {
            throw new DummException(Reason.INVALID_ARGUMENT, "command contains a NUL character");
        }
        if (timeout != null && timeout.isNegative()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "timeout " + timeout + " is negative");
        }
        return cmd;
    }

    /** Status -2 with an agent error: the session named in the payload is gone, the command did not run. */
    private ExecResult run(int op, byte[] payload, Duration timeout) {
        requireRunning();
        long limitMs = timeout == null || timeout.isZero() ? 0 : Math.max(1, Math.min(timeout.toMillis(), Integer.MAX_VALUE));
        long start = System.nanoTime();
        AgentLink.Reply r = agent.call(op, payload, (int) limitMs, OUTPUT_CAP,
                limitMs == 0 ? Long.MAX_VALUE / 4 : limitMs + 2_000);
        if (r.agentError()) {
            throw new DummException(op == AgentLink.OP_SEXEC && r.status() == -2 ? Reason.NOT_FOUND : Reason.GUEST_FAILURE,
                    "guest '" + name + "': " + r.errText());
        }
        return new ExecResult(r.status(), r.out(), r.err(), Duration.ofNanos(System.nanoTime() - start),
                (r.flags() & AgentLink.F_TIMEDOUT) != 0, (r.flags() & AgentLink.F_TRUNCATED) != 0);
    }

    /** The pty the launcher opened in the guest (see {@link NetnsConsole}); a shell starts there at the first line typed. */
    @Override
    public ConsoleSession console() {
        if (!isAlive()) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is not running");
        }
        int fd;
        try {
            fd = Descriptors.copyFrom(pid, NetnsConsole.FD);
        } catch (RuntimeException e) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name + "' has no console (started by a Dumm "
                    + "without netns consoles? restart it): " + e.getMessage());
        }
        return new DescriptorConsole(fd, NetnsConsole.deviceOf(pid));
    }

    @Override
    public void detach() {
        detached = true;
        try {
            watcher.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        agent.close();
        closeGuestNet();
    }

    private void requireRunning() {
        if (!isAlive()) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is not running");
        }
        if (paused) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is paused");
        }
    }
}
