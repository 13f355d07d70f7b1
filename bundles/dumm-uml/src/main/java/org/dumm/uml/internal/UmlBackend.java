package org.dumm.uml.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.KernelModules;
import org.dumm.api.Names;
import org.dumm.api.Transport;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.nativ.Descriptors;
import org.dumm.nativ.Pty;
import org.dumm.nativ.UnixDatagram;
import org.dumm.nativ.net.MacAddress;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;

/**
 * The {@code uml} guest backend: User-Mode Linux guests on Debian's stock kernel.
 * <p>
 * Launch: {@code linux.uml umid=<name> uml_dir=<runDir> mem=<M>M rootfstype=hostfs
 * rootflags=<root> rw init=/.dumm/init con=null con0=null,fd:1 con1=fd:5 con7=fd:3 ssl=null
 * dumm.umid=<name> ethN=tuntap,<tap>[,<mac>] vecN:transport=tap,ifname=<tap>,gro=1[,mac=<mac>] …},
 * spawned in-process (see {@link Spawner}) with ADDR_NO_RANDOMIZE in its own session.
 * <p>
 * Consoles: Dumm makes two channels before the launch and hands UML both ends of each: one end
 * as the console channel ({@code fd:3} for con7, {@code fd:5} for con1) and the other, which UML
 * never uses but keeps open (fds 4 and 6). Because that end always has a holder, the host may
 * close and reopen its own copy (Karaf restart, console detach) without the guest's tty being
 * hung up; UML's own {@code pts} channels are closed for good on such a hang-up and their re-open
 * is unreliable. con1's channel is a pty, reopened at {@code /proc/<pid>/fd/6}. The agent's is a
 * pair of unix stream sockets: a round trip skips the pty's hop through a kernel work queue in
 * each direction (~0.1 ms less per exec or link-up here); the host takes its copy of fd 4 with
 * pidfd_getfd(2), which also works for a guest adopted after a restart, and for a guest started
 * up to 2026-11-29, which holds a raw pty's terminal there instead.
 * <ul>
 * <li>con7 = guest /dev/tty7: the exec agent. Debian starts getty only on tty1 (and logind's
 * reserved tty6), busybox init without an inittab on tty1–4, so tty7 is free; the boot layer
 * masks getty@tty7 and autovt@tty7 anyway.</li>
 * <li>con1 = guest /dev/tty1: the interactive console, where a master's own getty or shell runs
 * (Debian: getty@tty1; busybox masters: {@code tty1::respawn:-/bin/sh} in inittab).</li>
 * <li>con0 (kernel console, /dev/console) writes to console.log, so a failed boot can say why.</li>
 * </ul>
 * A guest is exec-ready when its agent answers. The agent starts before the master's own init,
 * so on a systemd master a command may run while systemd is still starting up.
 */
@Component(service = GuestBackend.class, property = GuestBackend.BACKEND_PROPERTY + "=" + UmlBackend.NAME,
        configurationPid = UmlBackend.PID)
public final class UmlBackend implements GuestBackend {

    /**
     * Settings of this backend alone (etc/org.dumm.uml.cfg), apart from the core's org.dumm: a
     * change here must not restart the mesh, and a change there must not touch this backend.
     */
    static final String PID = "org.dumm.uml";
    /** Property: "true" (default) runs each guest on one host CPU, see {@link CpuPlacer}. */
    static final String PIN_GUESTS = "pinGuests";
    /**
     * Property: "true" (default) runs each guest's kernel in a mount namespace that holds only
     * what it needs, so that its hostfs reaches nothing else of the host (see {@link UmlJail}).
     */
    static final String JAIL_GUESTS = "jailGuests";

    static final String NAME = "uml";
    /** UML console (guest /dev/ttyN) the exec agent serves on; keep in sync with dumm-agent.c. */
    static final int AGENT_CONSOLE = 7;
    /** UML console of the interactive console. */
    static final int USER_CONSOLE = 1;
    /**
     * Descriptors UML holds: the agent's socket pair 3 and 4 (a pty's master and terminal for
     * guests started up to 2026-11-29), the console pty's master 5 and terminal 6.
     */
    static final int AGENT_TERMINAL_FD = 4;
    static final int CONSOLE_TERMINAL_FD = 6;
    /**
     * Tests only: start guests the way versions up to 2026-11-29 did, with a pty as the agent's
     * channel, to check that Dumm still reaches and adopts such guests after an upgrade.
     */
    volatile boolean agentOverPty;
    /**
     * Most output kept per stream of one exec; the rest is dropped and flagged truncated. The
     * agent holds both streams and a copy in its send queue inside a 64 MiB guest: stay modest.
     */
    static final int OUTPUT_CAP = 4 << 20;
    private static final int MIN_MEMORY_MB = 16;
    private static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(60);
    /** Kernel arguments Dumm sets itself; an extra argument may not override them. */
    private static final List<String> RESERVED = List.of("umid=", "uml_dir=", "mem=", "rootfstype=",
            "rootflags=", "init=", "con=", "con0=", "con" + USER_CONSOLE + "=", "con" + AGENT_CONSOLE + "=",
            "dumm.umid=", "eth", "vec");
    private static final System.Logger LOG = System.getLogger(UmlBackend.class.getName());
    /**
     * Debian's UML kernel registers 256 BSD pty pairs at boot, and every device's uevent makes the
     * kernel try its uevent helper (/sbin/hotplug, built in): under UML each try builds and drops
     * an address space, i.e. a host process, even while no root is mounted and the try must fail.
     * Without legacy ptys a boot starts 127 host processes instead of 639 and took 1.3 s instead
     * of 2.4-2.8 s here. Unix98 ptys (/dev/pts) are unaffected; an extra argument
     * {@code pty.legacy_count=N} brings them back.
     */
    static final String LEGACY_PTYS = "pty.legacy_count";
    /**
     * A boot spends ~0.1 s (of ~1.3 s) calibrating its delay loop, and gets the same answer on the
     * same host every time: the value a guest's kernel printed is handed to later boots as
     * {@code lpj=} (1.30-1.40 s became 1.21-1.23 s here). A guest's own {@code lpj=} wins.
     */
    static final String LPJ = "lpj";
    private static final Pattern CALIBRATED = Pattern.compile("Calibrating delay loop\\.\\.\\. [0-9.]+ BogoMIPS \\(lpj=(\\d+)\\)");

    private final ExecutorService events = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dumm-uml-events");
        t.setDaemon(true);
        return t;
    });
    private final ProcessWatcher watcher = new ProcessWatcher(events);
    private final Set<UmlGuest> guests = ConcurrentHashMap.newKeySet();
    private volatile CpuPlacer placer = new CpuPlacer(true);
    private volatile boolean jail = true;
    /** Per kernel file: loops per jiffy a guest's kernel calibrated on this host. */
    private final Map<Path, Long> calibrated = new ConcurrentHashMap<>();

    /** Reads {@value #PIN_GUESTS}; a change applies to guests started afterwards. */
    @Activate
    @Modified
    public void configure(Map<String, Object> properties) {
        jail = !"false".equalsIgnoreCase(String.valueOf(properties.getOrDefault(JAIL_GUESTS, "true")).trim());
        boolean pin = !"false".equalsIgnoreCase(String.valueOf(properties.getOrDefault(PIN_GUESTS, "true")).trim());
        if (pin != placer.enabled()) {
            CpuPlacer next = new CpuPlacer(pin);
            for (UmlGuest g : guests) {
                g.placedOn(next.adopt((int) g.pid()));
            }
            placer = next;
        }
    }

    /** Releases threads and channels; guests keep running and are adopted by the next instance. */
    @Deactivate
    public void deactivate() {
        for (UmlGuest g : new ArrayList<>(guests)) {
            g.detach();
        }
        watcher.close();
        events.shutdown();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Path bootLayer(Path workDir) {
        if (workDir == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "work directory is missing");
        }
        return BootLayer.prepare(workDir.toAbsolutePath());
    }

    @Override
    public Optional<KernelModules> kernelModules(Path kernel, Path directory) {
        return ModulesLayer.find(kernel, directory);
    }

    @Override
    public Path kernelLayer(Path workDir, KernelModules modules, Path master) {
        return ModulesLayer.prepare(workDir.toAbsolutePath(), modules, master);
    }

    @Override
    public GuestHandle start(GuestSpec spec) {
        validate(spec);
        RunFiles files = new RunFiles(spec.runDir(), spec.name());
        int running = files.readPid();
        if (running > 0 && belongsTo(running, spec)) {
            throw new DummException(Reason.ALREADY_EXISTS, "guest '" + spec.name() + "' is already running (pid "
                    + running + ")");
        }
        boolean createdRunDir = !Files.isDirectory(spec.runDir());
        files.removeStale();
        try {
            Files.createDirectories(spec.runDir());
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot create run dir " + spec.runDir() + ": " + e.getMessage());
        }
        Duration bootTimeout = spec.bootTimeout() == null ? DEFAULT_BOOT_TIMEOUT : spec.bootTimeout();
        long deadline = System.nanoTime() + bootTimeout.toNanos();
        int[] agentEnds = null;
        Pty consolePty = null;
        int pid = -1;
        int cpu = -1;
        UmlGuest guest = null;
        try {
            agentEnds = agentOverPty ? ptyEnds() : Descriptors.socketPair();
            consolePty = Pty.open();
            // what the guest's tty1 starts with (UML reads it when the guest opens the tty); a
            // browser terminal sets its own size later (UmlConsole.resize)
            Pty.setWindowSize(consolePty.master(), 24, 80);
            cpu = placer.take();
            Long lpj = calibrated.get(spec.kernel());
            Path shim = XstateShim.installIn(spec.runDir());
            boolean jailed = jail;
            List<String> argv = commandLine(spec, lpj);
            if (jailed) {
                argv = UmlJail.wrap(jailHelper(spec), spec, argv);
            }
            pid = Spawner.spawn(argv, environment(shim, jailed), files.consoleLog.toString(), "/",
                    new int[] {agentEnds[0], agentEnds[1], consolePty.master(), consolePty.terminal()},
                    true, spec.nice(), cpu);
            closeBoth(agentEnds); // UML holds both ends of each now
            agentEnds = null;
            consolePty.close();
            ProcessWatcher.Watch watch = watcher.watch(pid, "umid=" + spec.name());
            guest = new UmlGuest(this, spec, files, pid, watch, false);
            guest.placedOn(cpu);
            cpu = -1; // released with the guest from now on
            guests.add(guest);
            guest.awaitBoot(deadline);
            if (lpj == null) {
                learnCalibration(spec.kernel(), files);
            }
            return guest;
        } catch (RuntimeException e) {
            placer.release(cpu);
            if (agentEnds != null) {
                closeBoth(agentEnds);
            }
            if (consolePty != null) {
                consolePty.close();
            }
            boolean exited = pid > 0 && !ProcessTools.isRunning(pid);
            if (guest != null) {
                guest.abandon();
                forget(guest);
            } else if (pid > 0) {
                ProcessTools.killGroup(pid, "umid=" + spec.name());
            }
            String why = exited ? "its process exited" : String.valueOf(e.getMessage())
                    .replace("guest '" + spec.name() + "': ", "");
            String console = files.consoleTail(6);
            files.removeAll(createdRunDir);
            throw new DummException(Reason.GUEST_FAILURE, "guest '" + spec.name() + "' did not boot: " + why
                    + (console.isEmpty() ? "" : " — console: " + console), e);
        }
    }

    @Override
    public Optional<GuestHandle> attach(GuestSpec spec) {
        // only what finding the guest needs: its kernel file, root or TAPs may be gone meanwhile
        if (spec == null || spec.runDir() == null || !spec.runDir().isAbsolute() || spec.kernel() == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "guest spec needs a name, a kernel and an absolute run dir");
        }
        Names.check("guest", spec.name());
        RunFiles files = new RunFiles(spec.runDir(), spec.name());
        int pid = files.readPid();
        if (pid <= 0 || !belongsTo(pid, spec)) {
            files.removeStale();
            return Optional.empty();
        }
        Duration timeout = spec.bootTimeout() == null ? DEFAULT_BOOT_TIMEOUT : spec.bootTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        ProcessWatcher.Watch watch = watcher.watch(pid, "umid=" + spec.name());
        boolean paused = Files.exists(files.pausedMarker);
        UmlGuest guest = new UmlGuest(this, spec, files, pid, watch, paused);
        guest.placedOn(placer.adopt(pid));
        guests.add(guest);
        try {
            guest.awaitMconsole(deadline);
            if (!paused) {
                guest.connect(deadline); // a paused guest cannot answer; its agent is reached after resume
            }
            return Optional.of(guest);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "guest {0} (pid {1}) runs but does not answer ({2}): killing it",
                    spec.name(), String.valueOf(pid), e.getMessage());
            guest.abandon();
            forget(guest);
            files.removeStale();
            return Optional.empty();
        }
    }

    Executor events() {
        return events;
    }

    void forget(UmlGuest guest) {
        if (guests.remove(guest)) {
            placer.release(guest.cpu());
        }
    }

    /** True when {@code pid} is a live linux.uml of this guest (not a recycled pid). */
    static boolean belongsTo(int pid, GuestSpec spec) {
        if (!ProcessTools.isRunning(pid)) {
            return false;
        }
        List<String> args = ProcessTools.cmdline(pid);
        if (args.isEmpty()) {
            return false;
        }
        String exe = Path.of(args.get(0)).getFileName().toString();
        return exe.equals(spec.kernel().getFileName().toString())
                && args.contains("umid=" + spec.name())
                && args.contains("uml_dir=" + spec.runDir());
    }

    // ------------------------------------------------------------------ command line

    /** Remembers the delay-loop calibration the kernel printed while booting (see {@link #LPJ}). */
    private void learnCalibration(Path kernel, RunFiles files) {
        try (java.io.BufferedReader r = Files.newBufferedReader(files.consoleLog, StandardCharsets.ISO_8859_1)) {
            String line;
            for (int n = 0; n < 200 && (line = r.readLine()) != null; n++) {
                java.util.regex.Matcher m = CALIBRATED.matcher(line);
                if (m.find()) {
                    // boots that calibrated at the same time may disagree (load): the highest is the least disturbed
                    calibrated.merge(kernel, Long.parseLong(m.group(1)), Math::max);
                    return;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no value learnt: the next boot calibrates again
        }
    }

    /** For tests: the calibration learnt for {@code kernel}, if any. */
    Long calibration(Path kernel) {
        return calibrated.get(kernel);
    }

    static List<String> commandLine(GuestSpec spec) {
        return commandLine(spec, null);
    }

    static List<String> commandLine(GuestSpec spec, Long lpj) {
        List<String> a = new ArrayList<>();
        a.add(spec.kernel().toString());
        a.add("umid=" + spec.name());
        a.add("uml_dir=" + spec.runDir());
        a.add("mem=" + spec.memoryMb() + "M");
        a.add("rootfstype=hostfs");
        a.add("rootflags=" + spec.root());
        a.add("rw");
        a.add("init=" + BootLayer.INIT);
        a.add("con=null");
        a.add("con0=null,fd:1");
        a.add("con" + USER_CONSOLE + "=fd:5");
        a.add("con" + AGENT_CONSOLE + "=fd:3");
        a.add("ssl=null");
        a.add("dumm.umid=" + spec.name()); // lets the agent say which guest it serves
        if (spec.extraArgs().stream().noneMatch(x -> x.startsWith(LEGACY_PTYS + "="))) {
            a.add(LEGACY_PTYS + "=0");
        }
        if (lpj != null && spec.extraArgs().stream().noneMatch(x -> x.startsWith(LPJ + "="))) {
            a.add(LPJ + "=" + lpj);
        }
        for (InterfaceSpec i : spec.interfaces()) {
            a.add(deviceConfig(i));
        }
        a.addAll(spec.extraArgs());
        return a;
    }

    /** The ethN=/vecN: argument (command line or mconsole config) for an interface. */
    static String deviceConfig(InterfaceSpec i) {
        int n = UmlInterfaces.number(i.name());
        String mac = i.mac();
        if (i.transport() == Transport.VECTOR) {
            // without gro=1 TCP between vector guests collapses to ~3 Mbit/s (measured)
            return "vec" + n + ":transport=tap,ifname=" + i.tap() + ",gro=1" + (mac == null ? "" : ",mac=" + mac);
        }
        return "eth" + n + "=tuntap," + i.tap() + (mac == null ? "" : "," + mac);
    }

    /** The jail's helper, installed once in the guests' working directory (or beside the run directory). */
    Path jailHelper(GuestSpec spec) {
        Path guestDir = spec.runDir().toAbsolutePath().getParent();
        Path guests = guestDir.getParent();
        boolean inWorkDir = guests != null && guests.getFileName() != null && guests.getFileName().toString().equals("guests")
                && guests.getParent() != null;
        return UmlJail.helper(inWorkDir ? guests.getParent() : guestDir);
    }

    private static List<String> environment(Path shim, boolean jailed) {
        List<String> env = new ArrayList<>();
        env.add(XstateShim.preload(shim));
        env.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.add("LANG=C");
        String tmp = System.getenv("TMPDIR");
        if (tmp != null && !jailed) { // a jailed kernel has its own /dev/shm
            env.add("TMPDIR=" + tmp); // UML puts its memory file there (default /dev/shm)
        }
        return env;
    }

    // ------------------------------------------------------------------ validation

    static void validate(GuestSpec spec) {
        if (spec == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "guest spec is missing");
        }
        Names.check("guest", spec.name());
        if (spec.kernel() == null || !Files.isRegularFile(spec.kernel())) {
            throw new DummException(Reason.NOT_FOUND, "kernel " + spec.kernel() + " does not exist");
        }
        if (!Files.isExecutable(spec.kernel())) {
            throw new DummException(Reason.INVALID_ARGUMENT, "kernel " + spec.kernel() + " is not executable");
        }
        if (spec.root() == null || !Files.isDirectory(spec.root())) {
            throw new DummException(Reason.NOT_FOUND, "root " + spec.root() + " is not a directory");
        }
        if (!spec.root().isAbsolute() || spec.runDir() == null || !spec.runDir().isAbsolute()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "root and run dir must be absolute paths");
        }
        if (!Files.isRegularFile(spec.root().resolve(BootLayer.INIT.substring(1)))) {
            throw new DummException(Reason.INVALID_ARGUMENT, "root " + spec.root() + " has no " + BootLayer.INIT
                    + ": mount the uml backend's boot layer on top of it");
        }
        if (spec.memoryMb() < MIN_MEMORY_MB) {
            throw new DummException(Reason.INVALID_ARGUMENT, "memory " + spec.memoryMb() + " MiB is below "
                    + MIN_MEMORY_MB + " MiB");
        }
        if (spec.nice() < -20 || spec.nice() > 19) {
            throw new DummException(Reason.INVALID_ARGUMENT, "nice " + spec.nice() + " is outside -20..19");
        }
        if (spec.bootTimeout() != null && (spec.bootTimeout().isNegative() || spec.bootTimeout().isZero())) {
            throw new DummException(Reason.INVALID_ARGUMENT, "boot timeout must be positive");
        }
        String socket = spec.runDir().resolve(spec.name()).resolve("mconsole").toString();
        if (socket.getBytes(StandardCharsets.UTF_8).length > UnixDatagram.MAX_PATH_BYTES) {
            throw new DummException(Reason.INVALID_ARGUMENT, "run dir " + spec.runDir() + " is too long: UML's socket "
                    + socket + " must fit in " + UnixDatagram.MAX_PATH_BYTES + " bytes");
        }
        for (String arg : spec.extraArgs()) {
            if (arg == null || arg.isBlank() || arg.chars().anyMatch(Character::isWhitespace)) {
                throw new DummException(Reason.INVALID_ARGUMENT, "extra kernel argument '" + arg
                        + "' is empty or contains white space");
            }
            for (String r : RESERVED) {
                boolean device = r.equals("eth") || r.equals("vec");
                if (device ? arg.matches(r + "\\d+[=:].*") : arg.startsWith(r)) {
                    throw new DummException(Reason.INVALID_ARGUMENT, "extra kernel argument '" + arg
                            + "' would override what Dumm sets itself");
                }
            }
        }
        Set<String> names = new HashSet<>();
        Set<String> devices = new HashSet<>();
        for (InterfaceSpec i : spec.interfaces()) {
            checkInterface(i);
            checkTapExists(i);
            if (!names.add(i.name()) || !devices.add(UmlInterfaces.device(i))) {
                throw new DummException(Reason.INVALID_ARGUMENT, "interface '" + i.name()
                        + "' is listed twice or shares its UML device " + UmlInterfaces.device(i));
            }
        }
    }

    static void checkInterface(InterfaceSpec i) {
        if (i == null || !isIfname(i.name())) {
            throw new DummException(Reason.INVALID_ARGUMENT, "interface name '" + (i == null ? null : i.name())
                    + "' is invalid (letters, digits, '_', '.', '-', at most 15)");
        }
        UmlInterfaces.number(i.name());
        if (!isIfname(i.tap())) {
            throw new DummException(Reason.INVALID_ARGUMENT, "TAP name '" + i.tap() + "' of interface '" + i.name()
                    + "' is invalid");
        }
        if (i.mac() != null && !MacAddress.isWellFormed(i.mac())) {
            throw new DummException(Reason.INVALID_ARGUMENT, "MAC '" + i.mac() + "' of interface '" + i.name()
                    + "' is not of the form 02:00:00:00:00:01");
        }
        if (i.transport() == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, "interface '" + i.name() + "' has no transport");
        }
    }

    /**
     * A letter, then letters, digits, '_', '.', '-': at most 15 in all. A loop, not a regular
     * expression: it runs on every interface connect, mostly before the JIT has compiled it,
     * where a match costs ~15-20 us interpreted.
     */
    static boolean isIfname(String s) {
        if (s == null || s.isEmpty() || s.length() > 15) {
            return false;
        }
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!letter && (k == 0 || !((c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))) {
                return false;
            }
        }
        return true;
    }

    /** A pty's master and terminal, for {@link #agentOverPty}; closed with {@link #closeBoth}. */
    private static int[] ptyEnds() {
        Pty pty = Pty.open();
        return new int[] {pty.master(), pty.terminal()};
    }

    private static void closeBoth(int[] ends) {
        Descriptors.close(ends[0]);
        Descriptors.close(ends[1]);
    }

    /** UML accepts a missing TAP and only fails when the guest brings the interface up: check first. */
    static void checkTapExists(InterfaceSpec i) {
        if (!Files.exists(Path.of("/sys/class/net", i.tap(), "tun_flags"))) {
            throw new DummException(Reason.NOT_FOUND, "TAP '" + i.tap() + "' for interface '" + i.name()
                    + "' does not exist on the host");
        }
    }

    /** For tests and benchmarks: guests this instance tracks. */
    Set<UmlGuest> guests() {
        return Set.copyOf(guests);
    }
}
