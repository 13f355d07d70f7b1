package org.dumm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.dumm.api.Guest;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.bridge.internal.LinuxBridgeDriver;
import org.dumm.core.internal.EmbeddedMesh;
import org.dumm.core.internal.MeshManager;
import org.dumm.nativ.net.DeviceMarker;
import org.dumm.netns.internal.NetnsBackend;
import org.dumm.tap.internal.TunTapDriver;
import org.dumm.tap.internal.VethPairDriver;
import org.dumm.templates.internal.FileTemplateStore;
import org.dumm.uml.internal.UmlBackend;
import org.dumm.unionfs.internal.OverlayUnionFs;

/**
 * What every item runs in: the options, the report, the bench's directory, Dumm's side (an
 * embedded mesh on the bench's own TAP and bridge drivers and UML backend) and the bare side
 * ({@link BareUml} on the same kernel and master), with the bridges {@code dmbbrd} (Dumm) and
 * {@code dmbbrb} (bare) made. Everything it creates carries the prefix {@code dmb};
 * {@link #cleanup} removes it, at the end, on failure and on Ctrl-C.
 */
final class BenchContext {

    static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);
    /** Dumm devices of the bench carry this marker, so no running Dumm's devices are touched. */
    private static final DeviceMarker MARKER = new DeviceMarker("dmbench:", 3911);

    private final BenchOptions opt;
    private final BenchReport report;
    private final Path tmp;
    private final Path meshDir;
    /** What items made beyond the mesh and the bare side (a Karaf instance): removed first at clean-up. */
    private final List<Runnable> cleanups = new CopyOnWriteArrayList<>();

    private TunTapDriver taps;
    private VethPairDriver veths;
    private NetnsBackend netns;
    private LinuxBridgeDriver bridges;
    private OverlayUnionFs unionFs;
    private UmlBackend backend;
    private MeshManager mesh;
    private BareUml bare;
    private volatile boolean cleanedUp;

    BenchContext(BenchOptions opt, BenchReport report) throws IOException {
        this.opt = opt;
        this.report = report;
        // short: UML's mconsole socket path must fit in 107 bytes
        this.tmp = Files.createTempDirectory(Path.of("/tmp"), "dmb-");
        this.meshDir = tmp.resolve("mesh");
    }

    BenchOptions opt() {
        return opt;
    }

    BenchReport report() {
        return report;
    }

    /** The bench's directory under /tmp: the mesh's, the bare guests', Karaf's. */
    Path tmp() {
        return tmp;
    }

    /** The mesh's working directory (guests/NAME/run/NAME/mconsole is a Dumm guest's socket). */
    Path meshDir() {
        return meshDir;
    }

    /** The mesh's TAP driver, for host steps of a connect measured alone. */
    TunTapDriver taps() {
        return taps;
    }

    /** The netns backend of the mesh. */
    NetnsBackend netns() {
        return netns;
    }

    MeshManager mesh() {
        return mesh;
    }

    /** The bare side: linux.uml launched directly, on bridge dmbbrb. */
    BareUml bare() {
        return bare;
    }

    /** Something an item made that {@link #cleanup} must remove too (before the mesh's guests). */
    void onCleanup(Runnable removal) {
        cleanups.add(removal);
    }

    // ---- set-up ------------------------------------------------------------------------------------

    /** Checks the host, then makes the mesh, the busybox master, the bare side and both bridges. */
    void setUp() throws IOException {
        preflight();
        setUpDumm();
        Path master = ensureMaster("busybox");
        bare = new BareUml(tmp.resolve("bare"), master, BenchOptions.MEMORY_MB, "dmbbrb");
        bare.createBridge();
        mesh.createBridge("dmbbrd");
    }

    private void preflight() {
        for (String tool : List.of("/usr/bin/linux.uml", "/usr/bin/uml_mconsole", "/usr/bin/setarch", "/usr/sbin/ip")) {
            check(Files.isExecutable(Path.of(tool)), tool + " is missing (apt-get install user-mode-linux uml-utilities iproute2)");
        }
        check(!opt.iperf || Files.isExecutable(Path.of("/usr/bin/iperf3")), "/usr/bin/iperf3 is missing (apt-get install iperf3)");
        List<String> clash = new ArrayList<>();
        try (var s = Files.list(Path.of("/sys/class/net"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("dmb")).forEach(clash::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Devices of an earlier, killed bench run carry its marker and may go; anything else stays.
        TunTapDriver t = new TunTapDriver(MARKER);
        LinuxBridgeDriver b = new LinuxBridgeDriver(MARKER);
        try {
            List<String> oldTaps = t.listOwned();
            List<String> oldBridges = b.listOwned();
            if (!oldTaps.isEmpty() || !oldBridges.isEmpty()) {
                log("removing devices an earlier bench run left: " + oldTaps + " " + oldBridges);
                if (!oldTaps.isEmpty()) {
                    t.deleteAll(oldTaps);
                }
                if (!oldBridges.isEmpty()) {
                    b.deleteAll(oldBridges);
                }
                clash.removeAll(oldTaps);
                clash.removeAll(oldBridges);
            }
        } finally {
            t.close();
            b.close();
        }
        check(clash.isEmpty(), "host devices named dmb* exist that the bench did not make: " + clash
                + " (another bench running? remove them first)");
    }

    private void setUpDumm() throws IOException {
        Files.createDirectories(meshDir);
        taps = new TunTapDriver(MARKER);
        bridges = new LinuxBridgeDriver(MARKER);
        unionFs = new OverlayUnionFs();
        backend = new UmlBackend();
        backend.configure(Map.of("pinGuests", String.valueOf(opt.pinGuests)));
        veths = new VethPairDriver(MARKER);
        netns = new NetnsBackend(veths);
        mesh = EmbeddedMesh.create(taps, veths, bridges, unionFs, FileTemplateStore.at(meshDir, unionFs),
                List.of(backend, netns), Map.of("workDir", meshDir.toString(), "startConcurrency", opt.startConcurrency));
    }

    /** The master named so, built (busybox) if the mesh has none yet. */
    Path ensureMaster(String name) {
        for (Master m : mesh.masters()) {
            if (m.name().equals(name)) {
                return Path.of(m.path());
            }
        }
        log("building master '" + name + "'");
        return Path.of(mesh.createMaster(new MasterRequest(name, MasterRequest.Kind.BUSYBOX, null, List.of()),
                line -> { }).path());
    }

    // ---- clean-up ----------------------------------------------------------------------------------

    /** Stops and deletes whatever guests a phase left (after a failure), keeping bridges. */
    void tidyGuests() {
        deleteMeshGuests();
        if (bare != null && !bare.guests().isEmpty()) {
            bare.cleanup(report.problems(), false);
        }
    }

    /** Force-deletes every guest of the Dumm side; failures are recorded as problems. */
    private void deleteMeshGuests() {
        if (mesh == null) {
            return;
        }
        for (Guest g : mesh.guests()) {
            try {
                mesh.deleteGuest(g.name(), true);
            } catch (RuntimeException e) {
                report.problem("deleting guest " + g.name() + ": " + e.getMessage());
            }
        }
    }

    /** Removes everything the bench made. Idempotent; runs at the end, on failure and on Ctrl-C. */
    synchronized void cleanup() {
        if (cleanedUp) {
            return;
        }
        cleanedUp = true;
        log("cleaning up " + tmp);
        for (Runnable c : cleanups) {
            c.run();
        }
        deleteMeshGuests();
        if (mesh != null) {
            for (var b : mesh.bridges()) {
                try {
                    mesh.deleteBridge(b.name());
                } catch (RuntimeException e) {
                    report.problem("deleting bridge " + b.name() + ": " + e.getMessage());
                }
            }
            try {
                EmbeddedMesh.deactivate(mesh);
            } catch (RuntimeException e) {
                report.problem("mesh deactivate: " + e.getMessage());
            }
        }
        if (backend != null) {
            backend.deactivate();
        }
        if (netns != null) {
            netns.deactivate();
        }
        if (bare != null) {
            bare.cleanup(report.problems(), true);
        }
        // Any linux.uml still running from the bench's directory is one of ours.
        for (long pid : Host.pidsWhoseCommandContains("uml_dir=" + tmp + "/")) {
            report.problem("killed leftover guest process " + pid);
            Host.kill(pid);
        }
        for (int i = 0; i < 100 && !Host.pidsWhoseCommandContains("uml_dir=" + tmp + "/").isEmpty(); i++) {
            Host.sleep(50);
        }
        if (taps != null) {
            try {
                List<String> left = taps.listOwned();
                if (!left.isEmpty()) {
                    report.problem("TAPs left by the mesh, deleted: " + left);
                    taps.deleteAll(left);
                }
                List<String> leftVeths = veths.listOwned();
                if (!leftVeths.isEmpty()) {
                    report.problem("veths left by the mesh, deleted: " + leftVeths);
                    veths.deleteAll(leftVeths);
                }
                List<String> leftBridges = bridges.listOwned();
                if (!leftBridges.isEmpty()) {
                    report.problem("bridges left by the mesh, deleted: " + leftBridges);
                    bridges.deleteAll(leftBridges);
                }
            } catch (RuntimeException e) {
                report.problem("device clean-up: " + e.getMessage());
            }
            taps.close();
            veths.close();
            bridges.close();
        }
        for (Path m : Host.mountsUnder(tmp)) {
            report.problem("mount left, detached: " + m);
            if (!Host.umountLazy(m)) {
                report.problem("cannot unmount " + m);
            }
        }
        try {
            Host.deleteTree(tmp);
        } catch (RuntimeException e) {
            report.problem("cannot remove " + tmp + ": " + e.getMessage());
        }
        log(report.problems().isEmpty() ? "clean-up done, nothing left" : "clean-up done; remarks: " + report.problems());
    }

    // ---- for the items ---------------------------------------------------------------------------

    /** linux.uml processes on the host that are not the bench's (other people's work: noise). */
    int foreignGuests() {
        int n = 0;
        for (long pid : Host.allPids()) {
            String c = Host.cmdline(pid);
            if (c.startsWith("/usr/bin/linux.uml") && !c.contains(tmp.toString())) {
                n++;
            }
        }
        return n;
    }

    /** One line on stderr, stamped with the seconds since the run began. */
    void log(String s) {
        System.err.printf("[%7.1f s] %s%n", report.secondsSinceStart(), s);
    }

    /** Fails the item (or the set-up) with {@code message} unless {@code ok}. */
    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    /**
     * The order of the two sides in round {@code round}: Dumm first in even rounds, bare first in
     * odd ones, so that drift in the host's load hits both alike.
     */
    static boolean[] sides(int round) {
        return round % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true};
    }
}
