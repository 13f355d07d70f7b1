package org.dumm.uml.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.dumm.api.ConsoleSession;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.Impairment;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.nativ.DescriptorConsole;
import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.Native;
import org.dumm.nativ.net.LinkShaping;

/**
 * A running UML guest: its process (watched through a pidfd), its mconsole and its exec agent.
 * Exec with a zero or null timeout runs without a time limit in the guest.
 */
final class UmlGuest implements GuestHandle {

    private static final System.Logger LOG = System.getLogger(UmlGuest.class.getName());
    private static final Duration MCONSOLE_TIMEOUT = Duration.ofSeconds(5);
    /** How long a reply may take beyond the command's own timeout (the agent kills it then). */
    private static final long REPLY_GRACE_MS = 10_000;
    private static final Duration LINK_WAIT = UmlInterfaces.LINK_WAIT;

    private final UmlBackend backend;
    private final GuestSpec spec;
    private final RunFiles files;
    private final int pid;
    private final ProcessWatcher.Watch watch;
    private final Mconsole mconsole;
    private final CompletableFuture<Boolean> exited = new CompletableFuture<>();
    private final UmlInterfaces interfaces;
    private final Object channelLock = new Object();
    private AgentChannel channel;
    private volatile boolean stopRequested;
    private volatile boolean paused;
    private volatile boolean detached;
    private volatile int cpu = -1;

    UmlGuest(UmlBackend backend, GuestSpec spec, RunFiles files, int pid, ProcessWatcher.Watch watch,
             boolean paused) {
        this.backend = backend;
        this.spec = spec;
        this.files = files;
        this.pid = pid;
        this.watch = watch;
        this.paused = paused;
        this.mconsole = new Mconsole(spec.name(), files.mconsole.toString());
        this.interfaces = new UmlInterfaces(this, mconsole, spec.interfaces());
        watch.exited().thenRun(this::onExit);
    }

    /** Records the host CPU the guest runs on (-1: not pinned), released when it is forgotten. */
    void placedOn(int hostCpu) {
        this.cpu = hostCpu;
    }

    int cpu() {
        return cpu;
    }

    // ------------------------------------------------------------------ boot and adoption

    /** Waits until mconsole and agent answer, then names the boot-time interfaces. */
    void awaitBoot(long deadline) {
        while (!Files.exists(files.mconsole)) {
            checkBooting(deadline, "no mconsole socket yet");
            sleep(10);
        }
        awaitMconsole(deadline);
        connect(deadline);
        for (InterfaceSpec i : spec.interfaces()) {
            interfaces.renameIfNeeded(i);
        }
    }

    /** Waits for the mconsole to answer {@code version}. */
    void awaitMconsole(long deadline) {
        while (true) {
            checkBooting(deadline, "mconsole does not answer");
            try {
                mconsole.call("version", Duration.ofMillis(Math.max(1, Math.min(500, millisLeft(deadline)))));
                return;
            } catch (DummException e) {
                if (e.reason() != Reason.TIMEOUT && e.reason() != Reason.GUEST_FAILURE) {
                    throw e;
                }
                sleep(20);
            }
        }
    }

    private void checkBooting(long deadline, String what) {
        if (watch.exited().isDone() || !ProcessTools.isRunning(pid)) {
            throw new DummException(Reason.GUEST_FAILURE, "its process exited");
        }
        if (System.nanoTime() > deadline) {
            throw new DummException(Reason.TIMEOUT, "not ready after "
                    + (spec.bootTimeout() == null ? "the default timeout" : spec.bootTimeout().toMillis() + " ms")
                    + " (" + what + ")");
        }
    }

    /** The agent channel, (re)connected when needed. */
    AgentChannel channel(long deadline) {
        synchronized (channelLock) {
            if (channel != null && channel.isOpen()) {
                return channel;
            }
            return connect(deadline);
        }
    }

    AgentChannel connect(long deadline) {
        synchronized (channelLock) {
            if (channel != null) {
                channel.close();
                channel = null;
            }
            String target = agentEndOf(UmlBackend.AGENT_TERMINAL_FD);
            if (target == null) {
                throw new DummException(Reason.GUEST_FAILURE, "guest '" + spec.name() + "': process " + pid
                        + " holds no agent channel (not started by Dumm's uml backend?)");
            }
            channel = AgentChannel.connect(spec.name(), pid, UmlBackend.AGENT_TERMINAL_FD, spec.name(), deadline);
            channel.onRestart(() -> backend.events().execute(this::reapplyInterfaces));
            return channel;
        }
    }

    /** What UML holds at {@code fd}: a socket ({@code socket:[inode]}) or, if started before those, a pty path; else null. */
    private String agentEndOf(int fd) {
        String t = heldAt(fd);
        return t != null && (t.startsWith("socket:") || t.startsWith("/dev/pts/")) ? t : null;
    }

    /** The pty path UML holds at {@code fd}, or null. */
    private String terminalOf(int fd) {
        String t = heldAt(fd);
        return t != null && t.startsWith("/dev/pts/") ? t : null;
    }

    private String heldAt(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "fd", Integer.toString(fd))).toString();
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ GuestHandle

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public CompletionStage<Boolean> exited() {
        return exited.minimalCompletionStage();
    }

    @Override
    public boolean isAlive() {
        return !exited.isDone() && !watch.exited().isDone();
    }

    @Override
    public void stop(Duration timeout) {
        requireAttached();
        if (!isAlive()) {
            return;
        }
        stopRequested = true;
        long deadline = System.nanoTime() + (timeout == null ? Duration.ofSeconds(10) : timeout).toNanos();
        try {
            if (paused) {
                resume();
            }
            // hostfs writes sit in the guest's page cache; halt would drop them
            long syncWait = Math.max(1, Math.min(5_000, millisLeft(deadline) / 2));
            channel(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(syncWait, 2_000)))
                    .call(AgentChannel.OP_SYNC, new byte[0], (int) syncWait, 0, syncWait + 500,
                            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(syncWait));
        } catch (DummException e) {
            LOG.log(System.Logger.Level.DEBUG, "guest {0}: sync before halt failed: {1}", name(), e.getMessage());
        }
        try {
            mconsole.request("halt", Duration.ofMillis(Math.max(1, Math.min(1_000, millisLeft(deadline)))));
        } catch (DummException e) {
            LOG.log(System.Logger.Level.DEBUG, "guest {0}: mconsole halt failed: {1}", name(), e.getMessage());
        }
        if (!awaitExit(millisLeft(deadline))) {
            kill();
        }
    }

    @Override
    public void kill() {
        requireAttached();
        if (!isAlive()) {
            awaitExit(5_000);
            return;
        }
        stopRequested = true;
        ProcessTools.killGroup(pid, "umid=" + spec.name());
        if (!awaitExit(10_000)) {
            throw new DummException(Reason.TIMEOUT, "guest '" + name() + "': process " + pid
                    + " still there 10 s after SIGKILL");
        }
    }

    private boolean awaitExit(long millis) {
        try {
            exited.get(Math.max(0, millis), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (Exception e) {
            return exited.isDone();
        }
    }

    @Override
    public void pause() {
        requireAlive();
        if (paused) {
            return;
        }
        mconsole.call("stop", MCONSOLE_TIMEOUT);
        paused = true;
        try {
            Files.writeString(files.pausedMarker, "paused by Dumm\n");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "guest {0}: cannot record the pause in {1}: {2}",
                    name(), files.pausedMarker, e.getMessage());
        }
    }

    @Override
    public void resume() {
        requireAlive();
        if (!paused) {
            return;
        }
        mconsole.call("go", MCONSOLE_TIMEOUT);
        paused = false;
        RunFiles.deleteQuietly(files.pausedMarker);
    }

    @Override
    public boolean isPaused() {
        return paused && isAlive();
    }

    @Override
    public void plugInterface(InterfaceSpec iface) {
        UmlBackend.checkInterface(iface);
        requireRunning();
        interfaces.plug(iface);
    }

    @Override
    public Completion plugInterfaceUp(InterfaceSpec iface, Runnable makeTap) {
        UmlBackend.checkInterface(iface);
        requireRunning();
        return interfaces.plugUp(iface, makeTap);
    }

    @Override
    public void setLinkUp(String ifaceName, boolean up) {
        requireRunning();
        int op = up ? AgentChannel.OP_IFUP : AgentChannel.OP_IFDOWN;
        AgentChannel.Reply r = agentCall(op, ifaceName.getBytes(StandardCharsets.UTF_8), LINK_WAIT);
        if (r.agentError()) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name() + "': " + r.errText());
        }
    }

    @Override
    public void setCarrier(String ifaceName, boolean on) {
        new LinkShaping(this::rtnetlink).setCarrier(ifaceName, on);
    }

    @Override
    public void setImpairment(String ifaceName, Impairment toGuest, Impairment fromGuest) {
        new LinkShaping(this::rtnetlink).setImpairment(ifaceName, toGuest, fromGuest);
    }

    /** Hands netlink requests to the guest's kernel through the agent; returns its answers. */
    private byte[] rtnetlink(byte[] requests) {
        requireRunning();
        AgentChannel.Reply r = agentCall(AgentChannel.OP_NETLINK, requests, Duration.ofSeconds(15));
        if (r.agentError()) {
            String text = r.errText();
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name() + "': "
                    + (text.startsWith("unknown operation") ? "its agent predates netlink requests; restart the guest"
                    : text));
        }
        return r.out();
    }

    @Override
    public void unplugInterface(String ifaceName) {
        requireRunning();
        interfaces.unplug(ifaceName);
    }

    @Override
    public ExecResult exec(String command, Duration timeout) {
        return run(AgentChannel.OP_EXEC, commandBytes(command, timeout, 0), timeout);
    }

    /**
     * A jailed kernel (see {@link UmlJail}) has a copy of the host's root mount in its own
     * namespace, which the host's switch does not reach: the helper puts the new one in its place.
     * An unjailed one reads its root through the host's path and needs nothing.
     */
    @Override
    public void rootSwitched(Path union) {
        if (isAlive() && UmlJail.isJailed(pid())) {
            UmlJail.remount(backend.jailHelper(spec), name(), pid(), union);
        }
    }

    /** The agent runs shell sessions since this release; an older one (a guest re-adopted) has none. */
    @Override
    public java.util.OptionalInt openShell() {
        requireRunning();
        long start = System.nanoTime();
        AgentChannel.Reply r = channel(start + TimeUnit.SECONDS.toNanos(10)).call(AgentChannel.OP_SOPEN, new byte[0],
                10_000, 0, 10_000 + REPLY_GRACE_MS, start + TimeUnit.SECONDS.toNanos(30));
        if (r.agentError()) {
            if (r.errText().startsWith("unknown operation")) {
                return java.util.OptionalInt.empty();
            }
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name() + "': " + r.errText());
        }
        return java.util.OptionalInt.of(r.status());
    }

    @Override
    public ExecResult execInShell(int shell, String command, Duration timeout) {
        byte[] cmd = commandBytes(command, timeout, 4);
        byte[] payload = new byte[4 + cmd.length];
        LittleEndian.putInt(payload, 0, shell);
        System.arraycopy(cmd, 0, payload, 4, cmd.length);
        return run(AgentChannel.OP_SEXEC, payload, timeout);
    }

    @Override
    public void closeShell(int shell) {
        if (!isAlive()) {
            return;
        }
        byte[] payload = new byte[4];
        LittleEndian.putInt(payload, 0, shell);
        long start = System.nanoTime();
        channel(start + TimeUnit.SECONDS.toNanos(10)).call(AgentChannel.OP_SCLOSE, payload, 5_000, 0,
                5_000 + REPLY_GRACE_MS, start + TimeUnit.SECONDS.toNanos(30));
    }

    /** The command's bytes, checked; {@code room} bytes of the payload go to a header before them. */
    private byte[] commandBytes(String command, Duration timeout, int room) {
        if (command == null || command.isEmpty()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "command is empty");
        }
        byte[] cmd = command.getBytes(StandardCharsets.UTF_8);
        if (cmd.length + room > AgentChannel.MAX_PAYLOAD) {
            throw new DummException(Reason.INVALID_ARGUMENT, "command is " + cmd.length + " bytes, at most "
                    + (AgentChannel.MAX_PAYLOAD - room) + " allowed");
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
        long limitMs = timeout == null || timeout.isZero() ? 0
                : Math.max(1, Math.min(timeout.toMillis(), Integer.MAX_VALUE));
        long start = System.nanoTime();
        AgentChannel ch = channel(start + TimeUnit.SECONDS.toNanos(10));
        long wait = limitMs == 0 ? Long.MAX_VALUE / 2 : limitMs + REPLY_GRACE_MS;
        AgentChannel.Reply r = ch.call(op, payload, (int) limitMs, UmlBackend.OUTPUT_CAP,
                wait, start + TimeUnit.SECONDS.toNanos(30));
        if (r.agentError()) {
            throw new DummException(op == AgentChannel.OP_SEXEC && r.status() == -2 ? Reason.NOT_FOUND : Reason.GUEST_FAILURE,
                    "guest '" + name() + "': " + r.errText());
        }
        return new ExecResult(r.status(), r.out(), r.err(), Duration.ofNanos(System.nanoTime() - start),
                (r.flags() & AgentChannel.F_TIMEDOUT) != 0, (r.flags() & AgentChannel.F_TRUNCATED) != 0);
    }

    @Override
    public ConsoleSession console() {
        requireAlive();
        String device = terminalOf(UmlBackend.CONSOLE_TERMINAL_FD);
        if (device == null) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name() + "' has no console terminal");
        }
        int fd = Native.libc().open("/proc/" + pid + "/fd/" + UmlBackend.CONSOLE_TERMINAL_FD,
                Fcntl.O_RDWR | Fcntl.O_NOCTTY | Fcntl.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + name() + "': opening its console "
                    + device + ": " + Errno.name(Native.errno()));
        }
        return new UmlConsole(new DescriptorConsole(fd, device), this);
    }

    @Override
    public void detach() {
        detached = true;
        watch.cancel();
        closeChannels();
        backend.forget(this);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * After a reboot inside the guest (UML re-executes itself, same pid, same arguments) the
     * boot-time interfaces are back under UML's names and hot-plugged ones are gone: restore both.
     */
    private void reapplyInterfaces() {
        if (isAlive() && !detached) {
            interfaces.reapply();
        }
    }

    AgentChannel.Reply agentCall(int op, byte[] payload, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        return channel(deadline).call(op, payload, 0, 0, wait.toMillis(), deadline);
    }

    private void requireAttached() {
        if (detached) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + name() + "' is detached from this backend");
        }
    }

    private void requireAlive() {
        requireAttached();
        if (!isAlive()) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + name() + "' is not running");
        }
    }

    private void requireRunning() {
        requireAlive();
        if (paused) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + name() + "' is paused");
        }
    }

    private void closeChannels() {
        synchronized (channelLock) {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        }
        mconsole.close();
    }

    /** Runs once the process is gone (watcher thread pool): clean up, then report. */
    private void onExit() {
        if (detached) {
            return;
        }
        // the leader is gone; its helpers and address-space processes were sent SIGKILL with it
        if (!ProcessTools.awaitGroupGone(pid, "umid=" + spec.name(), 3_000)) {
            LOG.log(System.Logger.Level.WARNING, "guest {0}: processes of group {1} outlive it",
                    name(), String.valueOf(pid));
        }
        closeChannels();
        files.removeStale();
        paused = false;
        backend.forget(this);
        if (!stopRequested) {
            LOG.log(System.Logger.Level.WARNING, "guest {0} (pid {1}) died: {2}", name(), String.valueOf(pid),
                    files.consoleTail(3));
        }
        exited.complete(stopRequested);
    }

    /** Kills a guest that failed to boot or to be adopted and waits for it to be gone. */
    void abandon() {
        stopRequested = true;
        ProcessTools.killGroup(pid, "umid=" + spec.name());
        awaitExit(10_000);
        closeChannels();
    }

    private static long millisLeft(long deadline) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.GUEST_FAILURE, "interrupted");
        }
    }
}
