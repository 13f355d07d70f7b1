package org.dumm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.dumm.api.ExecResult;
import org.dumm.api.ExecSession;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchContext.sides;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.ms;
import static org.dumm.bench.BenchReport.sec;
import static org.dumm.bench.BenchReport.x;

/**
 * Item 9: a Debian bookworm master with systemd as init, against bare linux.uml on the same
 * kernel and master whose init starts a shell on tty1 and then execs /sbin/init (as early a
 * ready signal as Dumm's agent). One guest and eight at once to exec-ready; host memory per
 * idle Debian guest once systemd finished booting; a boot with the kernel's modules layer
 * against one with {@code --modules none}; exec back to back on a Debian guest against the
 * bare shell's round trip. The master is the tests' cached one when there is one
 * ({@code /var/cache/dumm-ci/masters/debian-bookworm-*.tar.gz}), else built with debootstrap.
 */
final class DebianItem implements BenchItem {

    private static final String MASTER = "dmbdeb";
    private static final int MEMORY_MB = 128;
    private static final int MANY = 8;

    @Override
    public String id() {
        return "9";
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        MeshManager mesh = ctx.mesh();
        Path master = debianMaster(ctx);
        BareUml bare = new BareUml(ctx.tmp().resolve("bare-debian"), master, MEMORY_MB, "dmbbrb", BareUml.SYSTEMD_INIT);
        Map<String, Object> section = report.section("9_debian");
        try {
            // uncounted: the first boot makes the kernel's modules layer (once per kernel) and
            // brings the master's files into the page cache
            dummBoot(mesh, "dmbdeb1", null);
            int reps = Math.max(3, Math.min(opt.bootReps, 5));
            Stats dumm = new Stats();
            Stats noModules = new Stats();
            Stats bareBoot = new Stats();
            for (int r = 0; r < reps; r++) {
                for (boolean dummSide : sides(r)) {
                    if (dummSide) {
                        dumm.addNanos(dummBoot(mesh, "dmbdeb1", null));
                        noModules.addNanos(dummBoot(mesh, "dmbdeb0", "none"));
                    } else {
                        long t0 = System.nanoTime();
                        BareUml.Guest g = bare.launch("dmbbdeb1", List.of());
                        check(bare.awaitReady(g, t0 + Duration.ofSeconds(90).toNanos()), "bare Debian guest did not answer");
                        bareBoot.addNanos(System.nanoTime() - t0);
                        bare.teardown(List.of(g));
                    }
                }
                ctx.log(String.format("debian boot %d: dumm %.0f ms, dumm --modules none %.0f ms, bare %.0f ms", r,
                        dumm.last(), noModules.last(), bareBoot.last()));
            }
            double r1 = dumm.median() / bareBoot.median();
            double rm = dumm.median() / noModules.median();
            report.add(new Row("9", "Debian/systemd guest: launch → exec-ready (median of " + reps + ")",
                    sec(dumm.median()), sec(bareBoot.median()), x(r1), "≤ 1.05× bare", met(r1 <= 1.05)));
            report.add(new Row("9", "the same with the modules layer vs --modules none (Dumm both)",
                    sec(dumm.median()), sec(noModules.median()) + " (none)", x(rm), "≤ 1.02×", met(rm <= 1.02)));
            section.put("single_dumm", dumm.toMap());
            section.put("single_dumm_no_modules", noModules.toMap());
            section.put("single_bare", bareBoot.toMap());

            // eight at once
            List<String> names = new ArrayList<>();
            for (int i = 0; i < MANY; i++) {
                names.add("dmbdm" + i);
                mesh.createGuest(new GuestDefinition("dmbdm" + i, null, null, MASTER, MEMORY_MB, List.of()));
            }
            long t0 = System.nanoTime();
            check(mesh.startGuests(names, line -> { }).isEmpty(), "8 Debian guests did not all start");
            for (String n : names) {
                check(mesh.exec(n, "true", EXEC_TIMEOUT).succeeded(), "exec in " + n);
            }
            long dummMany = System.nanoTime() - t0;
            for (String n : names) {
                mesh.awaitStartup(n, Duration.ofSeconds(180));
            }
            long booted = System.nanoTime() - t0;
            Host.sleep(3000);
            long pss = Host.guestsPssKb(names.stream().map(n -> mesh.guest(n).orElseThrow().pid()).toList());
            Stats burst = new Stats();
            for (int i = 0; i < Math.min(opt.execSamples, 200); i++) {
                long e0 = System.nanoTime();
                ExecResult x = mesh.exec(names.get(0), "true", EXEC_TIMEOUT);
                burst.addNanos(System.nanoTime() - e0);
                check(x.succeeded(), "exec true");
            }
            Stats sessionBurst = new Stats();
            try (ExecSession session = mesh.openSession(names.get(0))) {
                for (int i = 0; i < Math.min(opt.execSamples, 200); i++) {
                    long e0 = System.nanoTime();
                    ExecResult x = session.exec("true", EXEC_TIMEOUT);
                    sessionBurst.addNanos(System.nanoTime() - e0);
                    check(x.succeeded(), "exec true in a session");
                }
            }
            mesh.stopGuests(names, Duration.ofSeconds(10), line -> { });
            names.forEach(n -> mesh.deleteGuest(n, false));

            List<BareUml.Guest> bares = new ArrayList<>();
            long b0 = System.nanoTime();
            for (int i = 0; i < MANY; i++) {
                bares.add(bare.launch("dmbbdm" + i, List.of()));
            }
            for (BareUml.Guest g : bares) {
                check(bare.awaitReady(g, b0 + Duration.ofSeconds(180).toNanos()), "bare Debian guest " + g.name + " did not answer");
            }
            long bareMany = System.nanoTime() - b0;
            // as on Dumm's side (awaitStartup, then 3 s): the echoes measured once systemd has
            // finished booting in all of them, not while their boots compete for the CPU
            for (BareUml.Guest g : bares) {
                check(g.shell.run("systemctl is-system-running --wait >/dev/null 2>&1", 180_000) != null,
                        "bare Debian guest " + g.name + ": systemd did not finish booting");
            }
            Host.sleep(3000);
            Stats shell = new Stats();
            for (int i = 0; i < Math.min(opt.execSamples, 200); i++) {
                shell.addNanos(bares.get(0).shell.roundTrip(5000));
            }
            bare.teardown(bares);

            double r8 = (double) dummMany / bareMany;
            report.add(new Row("9", MANY + " Debian/systemd guests at once → all exec-ready",
                    sec(dummMany / 1e6), sec(bareMany / 1e6), x(r8), "≤ 1.05× bare", met(r8 <= 1.05)));
            report.add(new Row("9", "host memory per idle Debian guest (PSS, " + MEMORY_MB + " MB guests, after boot end at "
                    + sec(booted / 1e6) + ")", (pss / MANY / 1024) + " MB", "", "", "(reported)", ""));
            double rb = burst.median() / shell.median();
            report.add(new Row("9", "Debian guest: exec `true` back to back, single execs, p50 (" + burst.count() + ")",
                    ms(burst.median()), ms(shell.median()) + " (shell echo)", x(rb), "(reported)", ""));
            double rs = sessionBurst.median() / shell.median();
            report.add(new Row("9", "Debian guest: exec `true` back to back in a session (`Mesh.openSession`), p50 ("
                    + sessionBurst.count() + ")", ms(sessionBurst.median()), ms(shell.median()) + " (shell echo)", x(rs),
                    "≤ 1.0× bare and ≤ 3 ms", met(rs <= 1.0 && sessionBurst.median() <= 3.0)));
            section.put("many_dumm_ms", dummMany / 1e6);
            section.put("many_bare_ms", bareMany / 1e6);
            section.put("many_dumm_boot_end_ms", booted / 1e6);
            section.put("pss_kb_per_guest", pss / MANY);
            section.put("exec_burst_dumm", burst.toMap());
            section.put("exec_burst_dumm_session", sessionBurst.toMap());
            section.put("shell_round_trip_bare", shell.toMap());
        } finally {
            bare.cleanup(report.problems(), false);
        }
    }

    private static long dummBoot(MeshManager mesh, String name, String modules) {
        mesh.createGuest(new GuestDefinition(name, null, null, MASTER, MEMORY_MB, List.of(), modules));
        long t0 = System.nanoTime();
        mesh.startGuest(name);
        check(mesh.exec(name, "true", EXEC_TIMEOUT).succeeded(), "exec true in " + name);
        long t = System.nanoTime() - t0;
        mesh.stopGuest(name, Duration.ofSeconds(10));
        mesh.deleteGuest(name, false);
        return t;
    }

    /** The tests' cached Debian master when there is one, else one built with debootstrap. */
    private static Path debianMaster(BenchContext ctx) throws IOException {
        MeshManager mesh = ctx.mesh();
        Optional<Master> have = mesh.masters().stream().filter(m -> m.name().equals(MASTER)).findFirst();
        if (have.isPresent()) {
            return Path.of(have.get().path());
        }
        Path cache = Path.of(System.getenv().getOrDefault("DUMM_CACHE", "/var/cache/dumm-ci"), "masters");
        Optional<Path> cached = Optional.empty();
        if (Files.isDirectory(cache)) {
            try (Stream<Path> s = Files.list(cache)) {
                cached = s.filter(p -> p.getFileName().toString().matches("debian-bookworm-.*\\.tar\\.gz"))
                        .max(Comparator.comparing(p -> p.toFile().lastModified()));
            }
        }
        Master m;
        if (cached.isPresent()) {
            ctx.log("Debian master from " + cached.get());
            m = mesh.importMaster(MASTER, cached.get(), line -> { });
        } else {
            ctx.log("building a Debian master with debootstrap (no cached one)");
            m = mesh.createMaster(new MasterRequest(MASTER, MasterRequest.Kind.DEBOOTSTRAP, "bookworm", List.of("systemd-sysv")),
                    line -> ctx.log("  " + line));
        }
        return Path.of(m.path());
    }
}
