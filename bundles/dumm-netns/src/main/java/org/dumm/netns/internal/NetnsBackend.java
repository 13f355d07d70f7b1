package org.dumm.netns.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.api.spi.PortKind;
import org.dumm.api.spi.VethDriver;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.Native;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link GuestBackend} {@value #NAME}: a guest is a set of Linux namespaces (pid, mount, uts, ipc,
 * net) on the overlay root every Dumm guest gets, its first process Dumm's agent in a session of its
 * own (started by the bundle's launcher, {@code src/main/c/dumm-nslaunch.c}), in a cgroup for its
 * memory limit and for freezing. It runs the host's kernel. Interfaces are veth pairs: the mesh makes
 * them on the host, the backend hands the peer into the guest as {@code ethN} with the MAC Dumm chose.
 * Run files ({@code run/pid}: pid and start time) let {@link #attach} find a guest again.
 */
@Component(service = GuestBackend.class, property = GuestBackend.BACKEND_PROPERTY + "=" + NetnsBackend.NAME)
public final class NetnsBackend implements GuestBackend {

    public static final String NAME = "netns";
    private static final System.Logger LOG = System.getLogger(NetnsBackend.class.getName());
    private static final String INIT = "/.dumm/init";

    @Reference
    volatile VethDriver veths;

    private final Map<Path, Cgroups> cgroupsByWorkDir = new ConcurrentHashMap<>();
    private final Map<String, NetnsGuest> guests = new ConcurrentHashMap<>();
    private static volatile byte[] agentBinary;
    private static volatile byte[] launcherBinary;

    /** For Declarative Services. */
    public NetnsBackend() {
    }

    /** Outside OSGi (tests, tools). */
    public NetnsBackend(VethDriver veths) {
        this.veths = veths;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public PortKind portKind() {
        return PortKind.VETH;
    }

    /** {@code <workDir>/netns/layer-HASH/.dumm/init}: the agent, the guest's first process. */
    @Override
    public Path bootLayer(Path workDir) {
        byte[] agent = agentBinary == null ? (agentBinary = resource("dumm-agent")) : agentBinary;
        Path layer = workDir.resolve("netns").resolve("layer-" + sha256(agent));
        return installOnce(layer, layer.resolve(INIT.substring(1)), agent);
    }

    private Path launcher(Path workDir) {
        byte[] bin = launcherBinary == null ? (launcherBinary = resource("dumm-nslaunch")) : launcherBinary;
        Path dir = workDir.resolve("netns").resolve("launcher-" + sha256(bin));
        installOnce(dir, dir.resolve("dumm-nslaunch"), bin);
        return dir.resolve("dumm-nslaunch");
    }

    /** The guests' work directory: the run directory is {@code <workDir>/guests/NAME/run}. */
    private static Path workDirOf(GuestSpec spec) {
        return spec.runDir().getParent().getParent().getParent();
    }

    private Cgroups cgroups(GuestSpec spec) {
        Path wd = workDirOf(spec).toAbsolutePath().normalize();
        return cgroupsByWorkDir.computeIfAbsent(wd, w -> Cgroups.find(sha256(w.toString().getBytes(StandardCharsets.UTF_8))
                .substring(0, 8)));
    }

    /** Where guest {@code guest} of the Dumm working in {@code workDir} has its cgroup v2 directory. */
    public Path cgroupDirFor(Path workDir, String guest) {
        Path wd = workDir.toAbsolutePath().normalize();
        return cgroupsByWorkDir.computeIfAbsent(wd, w -> Cgroups.find(sha256(w.toString().getBytes(StandardCharsets.UTF_8))
                .substring(0, 8))).dir(guest);
    }

    @Override
    public GuestHandle start(GuestSpec spec) {
        if (!spec.extraArgs().isEmpty()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "guest '" + spec.name() + "' is a netns guest: it runs the "
                    + "host's kernel, so kernel arguments (" + String.join(" ", spec.extraArgs()) + ") cannot apply; "
                    + "remove them or use --backend uml");
        }
        if (veths == null && !spec.interfaces().isEmpty()) {
            throw new DummException(Reason.BACKEND_UNAVAILABLE, "no veth driver: netns guests need bundle dumm-tap");
        }
        Path runDir = spec.runDir();
        Cgroups cg = cgroups(spec);
        Path launcher = launcher(workDirOf(spec));
        long deadline = System.nanoTime() + spec.bootTimeout().toNanos();
        int pid = -1;
        NetnsGuest guest = null;
        try {
            Files.createDirectories(runDir);
            removeRunFiles(runDir);
            cg.remove(spec.name()); // a crashed guest's, if any
            List<Path> dirs = cg.create(spec.name(), spec.memoryMb());
            List<String> cmd = new ArrayList<>(List.of(launcher.toString(), spec.name(), spec.root().toString()));
            for (Path d : dirs) {
                cmd.add("-c");
                cmd.add(d.toString());
            }
            cmd.add("--");
            cmd.add(INIT);
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            boolean ended = p.waitFor(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())),
                    TimeUnit.MILLISECONDS);
            if (!ended || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new DummException(Reason.GUEST_FAILURE, "guest '" + spec.name() + "' did not start: "
                        + (!err.isEmpty() ? err : ended ? "launcher exit " + p.exitValue() : "launcher timed out"));
            }
            pid = Integer.parseInt(out);
            Files.writeString(runDir.resolve("pid"), pid + " " + startTime(pid).orElse(0L) + "\n");
            AgentLink agent = AgentLink.open(spec.name(), pid);
            guest = new NetnsGuest(spec.name(), pid, runDir, cg, veths, agent, launcher);
            for (InterfaceSpec i : spec.interfaces()) {
                guest.plugInterface(i);
            }
            agent.awaitReady(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            track(guest);
            return guest;
        } catch (IOException | InterruptedException | NumberFormatException | DummException e) {
            if (guest != null) {
                try {
                    guest.kill();
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            } else if (pid > 0) {
                Native.libc().kill(pid, Fcntl.SIGKILL);
                cg.killAll(spec.name());
            }
            try {
                cg.remove(spec.name());
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            removeRunFiles(runDir);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof DummException d ? d
                    : new DummException(Reason.GUEST_FAILURE, "guest '" + spec.name() + "' did not start: " + e, e);
        }
    }

    @Override
    public Optional<GuestHandle> attach(GuestSpec spec) {
        Path runDir = spec.runDir();
        Cgroups cg = cgroups(spec);
        int pid;
        try {
            String[] f = Files.readString(runDir.resolve("pid")).trim().split(" ");
            pid = Integer.parseInt(f[0]);
            long started = f.length > 1 ? Long.parseLong(f[1]) : -1;
            if (startTime(pid).orElse(-2L) != started) {
                throw new IOException("process " + pid + " is not the guest's (gone, or a recycled pid)");
            }
        } catch (IOException | RuntimeException e) {
            removeRunFiles(runDir);
            try {
                cg.remove(spec.name());
            } catch (RuntimeException ignored) {
                // reported at the next start
            }
            return Optional.empty();
        }
        AgentLink agent = AgentLink.open(spec.name(), pid);
        NetnsGuest guest = new NetnsGuest(spec.name(), pid, runDir, cg, veths, agent, launcher(workDirOf(spec)));
        if (!guest.isPaused()) {
            try {
                agent.awaitReady(Math.min(spec.bootTimeout().toMillis(), 5_000));
            } catch (DummException e) {
                LOG.log(System.Logger.Level.WARNING, "netns guest {0} runs but its agent does not answer; killing it",
                        spec.name());
                guest.kill();
                return Optional.empty();
            }
        }
        track(guest);
        return Optional.of(guest);
    }

    private void track(NetnsGuest guest) {
        guests.put(guest.name(), guest);
        guest.exited().thenRun(() -> guests.remove(guest.name(), guest));
    }

    /** Releases channels and threads; the guests keep running. */
    @Deactivate
    public void deactivate() {
        guests.values().forEach(NetnsGuest::detach);
        guests.clear();
    }

    /** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
    static Optional<Long> startTime(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(f[19]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static void removeRunFiles(Path runDir) {
        for (String f : new String[] {"pid", "paused"}) {
            try {
                Files.deleteIfExists(runDir.resolve(f));
            } catch (IOException e) {
                // left for the next start
            }
        }
    }

    private static Path installOnce(Path dir, Path file, byte[] content) {
        if (Files.isRegularFile(file)) {
            return dir;
        }
        Path tmp = dir.resolveSibling("." + dir.getFileName() + "-" + UUID.randomUUID());
        try {
            Path target = tmp.resolve(dir.relativize(file));
            Files.createDirectories(target.getParent());
            Files.write(target, content);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-xr-xr-x"));
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                if (!Files.isRegularFile(file)) { // else another caller was first, with the same bytes
                    throw e;
                }
                deleteTree(tmp);
            }
            return dir;
        } catch (IOException e) {
            deleteTree(tmp);
            throw new DummException(Reason.HOST_ERROR, "installing " + file + ": " + e.getMessage());
        }
    }

    private static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = NetnsBackend.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new DummException(Reason.HOST_ERROR, "'" + name + "' is missing from the netns bundle; "
                        + "the build compiles it with gcc -static");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "reading " + name + ": " + e.getMessage());
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
