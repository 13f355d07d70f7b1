package org.dumm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Progress;
import org.dumm.api.Transport;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;
import org.dumm.lab.LabChange;
import org.dumm.lab.LabOptions;
import org.dumm.lab.LabPlan;
import org.dumm.lab.internal.LabServiceImpl;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.ms;
import static org.dumm.bench.BenchReport.sec;
import static org.dumm.bench.BenchReport.x;

/**
 * Item 12: a Kathará-format lab of 8 devices (2 routers, 6 hosts, 3 collision domains, a
 * {@code .startup} per device setting its addresses and routes) applied through the lab service
 * until every device is ready, against the same 8 guests made directly on the mesh (same
 * master, memory, interfaces and addresses) and started with {@code startGuests}; rounds
 * alternate. Then the lab's re-apply after lab.conf moved one host to another collision domain
 * and back, against the same move by a direct {@code Mesh.connect}; no guest may be restarted
 * by it (same pid, same start time, its uptime grown by the time that passed).
 */
final class LabItem implements BenchItem {

    private static final String LAB = "dmbl";
    private static final String DIRECT = "dmbd";
    /** Device → its collision domains, eth0 first. */
    private static final Map<String, List<String>> LINKS = new LinkedHashMap<>();
    /** Device → the address of each of its interfaces. */
    private static final Map<String, List<String>> ADDRESSES = new LinkedHashMap<>();
    /** The host that moves between collision domains in the re-apply part, and its two domains. */
    private static final String MOVER = "h6";
    private static final String HOME = "c";
    private static final String AWAY = "b";

    static {
        device("r1", List.of("a", "b"), List.of("10.213.1.1/24", "10.213.2.1/24"));
        device("r2", List.of("b", "c"), List.of("10.213.2.2/24", "10.213.3.1/24"));
        device("h1", List.of("a"), List.of("10.213.1.11/24"));
        device("h2", List.of("a"), List.of("10.213.1.12/24"));
        device("h3", List.of("b"), List.of("10.213.2.13/24"));
        device("h4", List.of("b"), List.of("10.213.2.14/24"));
        device("h5", List.of("c"), List.of("10.213.3.15/24"));
        device("h6", List.of("c"), List.of("10.213.3.16/24"));
    }

    private static void device(String name, List<String> cds, List<String> addresses) {
        LINKS.put(name, cds);
        ADDRESSES.put(name, addresses);
    }

    @Override
    public String id() {
        return "12";
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        MeshManager mesh = ctx.mesh();
        int rounds = opt.quick ? 3 : 5;
        int moves = opt.quick ? 10 : 20;
        Path dir = ctx.tmp().resolve("lab").resolve(LAB);
        writeLab(dir, HOME);
        LabServiceImpl labs = new LabServiceImpl(mesh, Map.of());
        LabOptions options = new LabOptions(LAB, Map.of());
        ctx.onCleanup(() -> destroyQuietly(labs));

        // warm-up, untimed: the lab's code and the guests' first boots from a cold page cache
        applyLab(mesh, labs, dir, options);
        labs.destroy(LAB, Progress.NONE);
        startDirect(mesh);
        deleteDirect(mesh);

        Stats lab = new Stats();
        Stats direct = new Stats();
        for (int r = 0; r < rounds; r++) {
            for (boolean labFirst : BenchContext.sides(r)) {
                if (labFirst) {
                    lab.add(applyLab(mesh, labs, dir, options));
                    labs.destroy(LAB, Progress.NONE);
                } else {
                    direct.add(startDirect(mesh));
                    deleteDirect(mesh);
                }
            }
            ctx.log(String.format("lab round %d: apply %.0f ms, direct %.0f ms", r + 1, lab.last(), direct.last()));
        }
        BenchReport report = ctx.report();
        Map<String, Object> m = report.section("12_lab");
        m.put("devices", LINKS.size());
        m.put("lab_apply", lab.toMap());
        m.put("direct_create_and_start", direct.toMap());
        double ratio = lab.median() / direct.median();
        report.add(new Row("12", "lab-apply of an 8-device Kathará lab (2 routers, 6 hosts, 3 CDs) → every device ready, p50 of "
                + rounds, sec(lab.median()), sec(direct.median()) + " (the 8 guests made and started directly)", x(ratio),
                "≤ 1.1×", met(ratio <= 1.1)));

        reapply(ctx, labs, dir, options, moves);
        labs.destroy(LAB, Progress.NONE);
        check(mesh.guests().stream().noneMatch(g -> g.name().startsWith(LAB + "-")), "lab guests left after destroy");
    }

    /** Milliseconds of an apply of the lab (new), which returns once every device has run its startup. */
    private static double applyLab(MeshManager mesh, LabServiceImpl labs, Path dir, LabOptions options) {
        long t0 = System.nanoTime();
        LabPlan plan = labs.apply(dir, options, Progress.NONE);
        double millis = (System.nanoTime() - t0) / 1e6;
        check(plan.firstApply(), "the lab was not new: " + plan.changes());
        // untimed: each device's startup finished (lab.ready) and set its address
        for (String dev : LINKS.keySet()) {
            ExecResult r = mesh.exec(LAB + "-" + dev, "[ -f /run/dumm/lab.ready ] && ip -4 -o addr show dev eth0", EXEC_TIMEOUT);
            check(r.succeeded() && r.stdoutText().contains(ADDRESSES.get(dev).get(0)),
                    "lab device " + dev + " not ready: " + r.stdoutText() + r.stderrText());
        }
        return millis;
    }

    /** Milliseconds to define the same guests with their interfaces and addresses and start them all. */
    private static double startDirect(MeshManager mesh) {
        long t0 = System.nanoTime();
        for (String cd : List.of("a", "b", "c")) {
            mesh.createBridge(DIRECT + "-" + cd);
        }
        List<String> guests = new ArrayList<>();
        for (Map.Entry<String, List<String>> d : LINKS.entrySet()) {
            String g = DIRECT + "-" + d.getKey();
            guests.add(g);
            mesh.createGuest(GuestDefinition.named(g));
            for (int i = 0; i < d.getValue().size(); i++) {
                mesh.addInterface(g, "eth" + i, DIRECT + "-" + d.getValue().get(i), null, Transport.TUNTAP);
                mesh.addAddress(g, "eth" + i, ADDRESSES.get(d.getKey()).get(i));
            }
        }
        Map<String, String> failures = mesh.startGuests(guests, Progress.NONE);
        double millis = (System.nanoTime() - t0) / 1e6;
        check(failures.isEmpty(), "direct guests failed to start: " + failures);
        for (String dev : LINKS.keySet()) {
            ExecResult r = mesh.exec(DIRECT + "-" + dev, "ip -4 -o addr show dev eth0", EXEC_TIMEOUT);
            check(r.succeeded() && r.stdoutText().contains(ADDRESSES.get(dev).get(0)), "direct guest " + dev + ": "
                    + r.stdoutText() + r.stderrText());
        }
        return millis;
    }

    /** Untimed: the direct side goes as the lab's destroy goes (graceful stops, then deletions). */
    private static void deleteDirect(MeshManager mesh) {
        List<String> guests = LINKS.keySet().stream().map(d -> DIRECT + "-" + d).toList();
        Map<String, String> failures = mesh.stopGuests(guests, Duration.ofSeconds(20), Progress.NONE);
        check(failures.isEmpty(), "direct guests failed to stop: " + failures);
        guests.forEach(g -> mesh.deleteGuest(g, true));
        for (String cd : List.of("a", "b", "c")) {
            mesh.deleteBridge(DIRECT + "-" + cd);
        }
    }

    /**
     * Part (b): the mover goes to the other collision domain and back by editing lab.conf and
     * re-applying, each re-apply timed; between two pairs of them the same move by a direct
     * {@code Mesh.connect}, the baseline. The lab's state and the mesh agree after each pair.
     */
    private static void reapply(BenchContext ctx, LabServiceImpl labs, Path dir, LabOptions options, int moves)
            throws Exception {
        MeshManager mesh = ctx.mesh();
        applyLab(mesh, labs, dir, options);
        Map<String, Guest> before = new LinkedHashMap<>();
        for (String dev : LINKS.keySet()) {
            before.put(dev, mesh.guest(LAB + "-" + dev).orElseThrow());
        }
        startupCost(ctx);
        double uptime0 = uptimeSeconds(mesh, LAB + "-r1");
        long wall0 = System.nanoTime();
        String mover = LAB + "-" + MOVER;
        Stats re = new Stats();
        Stats connect = new Stats();
        for (int i = 0; i < moves; i++) {
            String to = i % 2 == 0 ? AWAY : HOME;
            writeLab(dir, to);
            Host.sleep(ctx.opt().settleMs);
            long t0 = System.nanoTime();
            LabPlan plan = labs.apply(dir, options, Progress.NONE);
            re.addNanos(System.nanoTime() - t0);
            check(plan.changes().size() == 1 && plan.changes().get(0).kind() == LabChange.Kind.MOVE_LINK,
                    "re-apply " + (i + 1) + " planned " + plan.changes() + ", not one move");
            checkBridge(mesh, mover, LAB + "-" + to);
            if (i % 2 == 1) { // back home: the same two moves directly, the lab's state untouched in the end
                for (String cd : List.of(AWAY, HOME)) {
                    Host.sleep(ctx.opt().settleMs);
                    long t1 = System.nanoTime();
                    mesh.connect(mover, "eth0", LAB + "-" + cd);
                    connect.addNanos(System.nanoTime() - t1);
                    checkBridge(mesh, mover, LAB + "-" + cd);
                }
            }
        }
        double wall = (System.nanoTime() - wall0) / 1e9;
        double grown = uptimeSeconds(mesh, LAB + "-r1") - uptime0;
        int kept = 0;
        List<String> restarted = new ArrayList<>();
        for (Map.Entry<String, Guest> e : before.entrySet()) {
            Guest now = mesh.guest(e.getValue().name()).orElseThrow();
            Instant was = e.getValue().startedAt();
            if (now.pid() == e.getValue().pid() && was != null && was.equals(now.startedAt())) {
                kept++;
            } else {
                restarted.add(e.getKey() + " (pid " + e.getValue().pid() + " → " + now.pid() + ", started " + was + " → "
                        + now.startedAt() + ")");
            }
        }
        // a guest's own clock: r1's uptime must have grown by (about) the wall time that passed
        check(restarted.isEmpty(), "re-applies restarted lab guests: " + restarted);
        check(grown >= wall - 1.0, String.format("r1's uptime grew %.1f s over %.1f s of wall time", grown, wall));

        BenchReport report = ctx.report();
        Map<String, Object> m = report.section("12_lab_reapply");
        m.put("moves", moves);
        m.put("reapply", re.toMap());
        m.put("direct_connect", connect.toMap());
        m.put("guests_kept", kept);
        m.put("r1_uptime_grown_s", Stats.round(grown));
        m.put("wall_s", Stats.round(wall));
        double ratio = re.median() / connect.median();
        ctx.log(String.format("lab re-apply: p50 %.2f ms, p99 %.2f ms; direct connect p50 %.2f ms; %d/%d guests kept"
                + " (r1's uptime +%.1f s over %.1f s)", re.median(), re.percentile(99), connect.median(), kept, before.size(),
                grown, wall));
        report.add(new Row("12", "lab re-apply after lab.conf moved one host to another CD, p50 / p99 of " + moves,
                ms(re.median()) + " / " + ms(re.percentile(99)), ms(connect.median()) + " (Mesh.connect, p50 of "
                + connect.count() + ")", x(ratio), "(reported)", ""));
        report.add(new Row("12", "guests restarted by the " + moves + " re-applies", "0 of " + before.size() + " (same pid and "
                + "start time; r1's uptime +" + String.format("%.1f", grown) + " s over " + String.format("%.1f", wall)
                + " s)", "", "", "0", met(restarted.isEmpty())));
    }

    /**
     * Where the lab's extra time goes: the startup the lab writes into each device (sysctls, the
     * device's .startup, each command a process under UML) is what the direct side does not run.
     * Run again on the 8 running devices at once, as a boot runs them, 3 times (its address and
     * route commands fail the second time, harmlessly, after the same forks).
     */
    private static void startupCost(BenchContext ctx) throws Exception {
        MeshManager mesh = ctx.mesh();
        Stats all = new Stats();
        ExecutorService pool = Executors.newFixedThreadPool(LINKS.size());
        try {
            for (int k = 0; k < 3; k++) {
                Host.sleep(ctx.opt().settleMs);
                long t0 = System.nanoTime();
                List<Future<ExecResult>> runs = new ArrayList<>();
                for (String dev : LINKS.keySet()) {
                    runs.add(pool.submit(() -> mesh.exec(LAB + "-" + dev, "/bin/sh /etc/dumm/startup >/dev/null 2>&1; "
                            + "[ -f /run/dumm/lab.ready ]", EXEC_TIMEOUT)));
                }
                for (Future<ExecResult> f : runs) {
                    check(f.get().succeeded(), "the lab's startup did not finish again: " + f.get().stderrText());
                }
                all.addNanos(System.nanoTime() - t0);
            }
        } finally {
            pool.shutdownNow();
        }
        ctx.report().section("12_lab").put("startup_again_on_all_8", all.toMap());
        ctx.report().add(new Row("12", "beside it: the startup the lab writes, run again on the 8 running devices at once, p50 of 3",
                ms(all.median()), "", "", "(reported)", ""));
    }

    private static void checkBridge(MeshManager mesh, String guest, String bridge) {
        String now = mesh.guest(guest).orElseThrow().interfaces().get(0).bridge();
        check(bridge.equals(now), guest + " eth0 is on " + now + ", not " + bridge);
    }

    private static double uptimeSeconds(MeshManager mesh, String guest) {
        ExecResult r = mesh.exec(guest, "cat /proc/uptime", EXEC_TIMEOUT);
        check(r.succeeded(), "uptime of " + guest + ": " + r.stderrText());
        return Double.parseDouble(r.stdoutText().trim().split("\\s+")[0]);
    }

    /** lab.conf (the mover on collision domain {@code moverCd}) and one .startup per device. */
    private static void writeLab(Path dir, String moverCd) throws IOException {
        Files.createDirectories(dir);
        StringBuilder conf = new StringBuilder("LAB_DESCRIPTION=\"dumm bench: 2 routers, 6 hosts, 3 collision domains\"\n");
        for (Map.Entry<String, List<String>> d : LINKS.entrySet()) {
            for (int i = 0; i < d.getValue().size(); i++) {
                String cd = d.getKey().equals(MOVER) ? moverCd : d.getValue().get(i);
                conf.append(d.getKey()).append('[').append(i).append("]=").append(cd).append('\n');
            }
        }
        Path confFile = dir.resolve("lab.conf");
        Path tmp = dir.resolve("lab.conf.tmp");
        Files.writeString(tmp, conf.toString());
        Files.move(tmp, confFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        for (Map.Entry<String, List<String>> d : ADDRESSES.entrySet()) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < d.getValue().size(); i++) {
                s.append("ip addr add ").append(d.getValue().get(i)).append(" dev eth").append(i).append('\n');
            }
            s.append(switch (d.getKey()) {
                case "r1" -> "ip route add 10.213.3.0/24 via 10.213.2.2\n";
                case "r2" -> "ip route add 10.213.1.0/24 via 10.213.2.1\n";
                default -> "ip route add default via " + gateway(d.getValue().get(0)) + "\n";
            });
            Files.writeString(dir.resolve(d.getKey() + ".startup"), s.toString());
        }
    }

    /** A host's router: .1 of its subnet. */
    private static String gateway(String cidr) {
        String ip = cidr.substring(0, cidr.indexOf('/'));
        return ip.substring(0, ip.lastIndexOf('.')) + ".1";
    }

    private static void destroyQuietly(LabServiceImpl labs) {
        try {
            if (labs.info(LAB).isPresent()) {
                labs.destroy(LAB, Progress.NONE);
            }
        } catch (RuntimeException e) {
            System.err.println("lab clean-up: " + e.getMessage());
        }
    }
}
