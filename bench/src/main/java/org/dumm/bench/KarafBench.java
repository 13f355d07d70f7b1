package org.dumm.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Item 7: a private Dumm Karaf instance unpacked from the assembly into the bench's directory,
 * on free loopback ports, driven over its SSH console like {@code ./dumm start/client/stop} do
 * (OpenSSH with a key; ready = {@code dumm:version} reports the Mesh service up). The launcher
 * itself is not used because it rebuilds the distribution whenever a source is newer.
 */
final class KarafBench {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    /** Before each start: all CPUs together at most this busy over half a second, waiting 30 s at most. */
    private static final double QUIET_BUSY_MAX = 0.10;
    private static final Duration QUIET_WAIT_MAX = Duration.ofSeconds(30);

    private final Path tarball;
    private final Path home;
    private final Consumer<String> log;
    private Path key;
    private Path knownHosts;
    private int sshPort;
    private Process script;
    private volatile long jvmPid = -1;
    /** Timings of the last {@link #start}: console answer, mesh ready in the log, ready. */
    private Map<String, Object> lastStart = Map.of();

    KarafBench(Path tarball, Path home, Consumer<String> log) {
        this.tarball = tarball;
        this.home = home;
        this.log = log;
    }

    /**
     * {@code firstStarts} fresh instances are started one after another (each unpacked anew, the
     * one before stopped and deleted; the median counts), after one started without the framework
     * state the distribution ships; the last one goes on to the restarts.
     */
    Map<String, Object> run(int guests, int idleSeconds, int firstStarts) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("assembly", tarball.toString());
        // For comparison, as Karaf's own distribution starts (and Dumm's, when etc/ was changed
        // where the framework state depends on it): the shipped state dropped, so this first start
        // reads the features repositories, resolves and installs the boot features itself.
        unpack();
        configure();
        Host.deleteTree(home.resolve("data/cache"));
        Files.deleteIfExists(home.resolve("data/framework-primed.sha256"));
        double unprimed = start();
        r.put("first_start_unprimed_ready_s", unprimed);
        r.put("first_start_unprimed_steps", lastStart);
        log.accept(String.format("karaf: fresh instance without the shipped framework state ready in %.2f s (%s)",
                unprimed, lastStart));
        Stats firsts = new Stats();
        List<Map<String, Object>> firstSteps = new ArrayList<>();
        for (int i = 0; i < firstStarts; i++) {
            stop();
            Host.deleteTree(home);
            unpack();
            configure();
            double first = start();
            firsts.add(first * 1000);
            firstSteps.add(lastStart);
            log.accept(String.format("karaf: fresh instance %d of %d ready in %.2f s (jvm pid %d; %s)", i + 1, firstStarts,
                    first, jvmPid, lastStart));
        }
        r.put("first_start_ready_s", Stats.round(firsts.median() / 1000));
        r.put("first_starts_ready_s", firstSteps.stream().map(m -> m.get("ready_s")).toList());
        r.put("first_start_steps", firstSteps);
        Host.sleep(idleSeconds * 1000L);
        r.put("rss_mb_idle_no_guests", rssMb());
        r.put("jvm_no_guests", jvmInfo());
        stop();
        double empty = start();
        r.put("restart_no_guests_ready_s", empty);
        r.put("restart_no_guests_steps", lastStart);
        log.accept(String.format("karaf: restart without guests ready in %.2f s (%s)", empty, lastStart));
        webFeaturesCost(r, idleSeconds);

        StringBuilder create = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < guests; i++) {
            String n = String.format("dmbk%03d", i);
            names.add(n);
            create.append("dumm:guest-create ").append(n).append('\n');
        }
        ssh(create.toString(), Duration.ofSeconds(120));
        long t0 = System.nanoTime();
        Host.Result all = sshRaw("dumm:guest-start --all", Duration.ofSeconds(60L + guests * 3L));
        r.put("guest_start_all_s", Stats.round((System.nanoTime() - t0) / 1e9));
        int running = runningGuests();
        r.put("guests_running", running);
        if (running != guests) {
            String out = all.out().replaceAll("\\s+", " ").trim();
            r.put("guest_start_failures", out.length() > 2000 ? out.substring(out.length() - 2000) : out);
            log.accept("karaf: only " + running + " of " + guests + " guests run: " + out);
        }
        Host.sleep(idleSeconds * 1000L);
        r.put("rss_mb_idle_with_guests", rssMb());
        r.put("jvm_with_guests", jvmInfo());
        log.accept(String.format("karaf: %d guests started in %s s; JVM RSS %.0f MB (without guests %.0f MB)", guests,
                r.get("guest_start_all_s"), (Double) r.get("rss_mb_idle_with_guests"), (Double) r.get("rss_mb_idle_no_guests")));

        stop();
        double restart = start();
        r.put("restart_ready_s", restart);
        r.put("restart_steps", lastStart);
        int adopted = runningGuests();
        r.put("guests_running_after_restart", adopted);
        log.accept(String.format("karaf: restart with %d running guests ready in %.2f s, %d re-adopted (%s)", guests, restart,
                adopted, lastStart));
        Host.sleep(idleSeconds * 1000L);
        r.put("rss_mb_idle_after_restart", rssMb());

        t0 = System.nanoTime();
        ssh("dumm:guest-stop --all", Duration.ofSeconds(60L + guests));
        ssh("dumm:guest-delete --all", Duration.ofSeconds(60L + guests));
        r.put("guest_stop_delete_all_s", Stats.round((System.nanoTime() - t0) / 1e9));
        stop();
        r.put("ready_signal", "`dumm:version` over the SSH console prints 'Mesh service: up' (as ./dumm start: asked once "
                + "karaf.log has 'Dumm mesh ready', and every 2 s before that)");
        r.put("heap", "bin/setenv of the assembly (-Xmx256m unless EXTRA_JAVA_OPTS sets one)");
        return r;
    }

    private void unpack() throws IOException {
        Files.createDirectories(home);
        Host.runChecked(Duration.ofSeconds(120), "tar", "-xzf", tarball.toString(), "-C", home.toString(),
                "--strip-components=1");
    }

    /**
     * The JVM RSS the web features cost: idle after a restart with dumm-rest and dumm-web booted,
     * then after they were uninstalled and Karaf restarted; installed again (and restarted) so
     * that the rest of the run sees the distribution as shipped.
     */
    private void webFeaturesCost(Map<String, Object> r, int idleSeconds) throws Exception {
        Host.sleep(idleSeconds * 1000L);
        double with = rssMb();
        ssh("feature:uninstall dumm-web dumm-rest", Duration.ofSeconds(120));
        stop();
        start();
        Host.sleep(idleSeconds * 1000L);
        double without = rssMb();
        ssh("feature:install dumm-rest dumm-web", Duration.ofSeconds(180));
        stop();
        start();
        r.put("rss_mb_idle_restart_with_web", with);
        r.put("rss_mb_idle_restart_without_web", without);
        log.accept(String.format("karaf: JVM RSS idle after a restart %.0f MB with dumm-rest and dumm-web, %.0f MB without",
                with, without));
    }

    private void configure() throws IOException {
        sshPort = freePort();
        Path etc = home.resolve("etc");
        set(etc.resolve("org.apache.karaf.shell.cfg"), "sshPort", Integer.toString(sshPort));
        set(etc.resolve("org.apache.karaf.management.cfg"), "rmiRegistryPort", Integer.toString(freePort()));
        set(etc.resolve("org.apache.karaf.management.cfg"), "rmiServerPort", Integer.toString(freePort()));
        set(etc.resolve("org.ops4j.pax.web.cfg"), "org.osgi.service.http.port", Integer.toString(freePort()));
        // this instance's host devices carry a marker of their own (it makes none: guests without interfaces)
        set(etc.resolve("org.dumm.cfg"), "deviceAliasPrefix", "dmbkaraf:");
        set(etc.resolve("org.dumm.cfg"), "deviceGroup", "3915");
        key = etc.resolve("dmb-client.key");
        knownHosts = etc.resolve("dmb-known_hosts");
        Host.runChecked(Duration.ofSeconds(30), "ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-C",
                "dmbench", "-f", key.toString());
        String pub = Files.readString(key.resolveSibling("dmb-client.key.pub")).trim().split("\\s+")[1];
        Path keys = etc.resolve("keys.properties");
        String existing = Files.exists(keys) ? Files.readString(keys) : "";
        Files.writeString(keys, existing + (existing.endsWith("\n") || existing.isEmpty() ? "" : "\n")
                + "dmbench=" + pub + ",_g_:admingroup\n");
    }

    /** Sets {@code key = value} in a .cfg file, replacing an existing line. */
    private static void set(Path cfg, String key, String value) throws IOException {
        List<String> lines = Files.exists(cfg) ? new ArrayList<>(Files.readAllLines(cfg)) : new ArrayList<>();
        boolean found = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).matches("\\s*" + java.util.regex.Pattern.quote(key) + "\\s*=.*")) {
                lines.set(i, key + " = " + value);
                found = true;
            }
        }
        if (!found) {
            lines.add(key + " = " + value);
        }
        Files.write(cfg, lines);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts {@code bin/dumm-server} (as {@code ./dumm start} does) in its own session; seconds until the mesh is up. */
    private double start() throws IOException {
        Files.createDirectories(home.resolve("data/log"));
        // a start on a settled host: not on the tail of what ran just before (a stop, an item's guests)
        double[] quiet = Host.waitForQuietCpu(QUIET_BUSY_MAX, 500, QUIET_WAIT_MAX);
        long t0 = System.nanoTime();
        long wall0 = System.currentTimeMillis();
        long logBytesBefore = Files.exists(karafLog()) ? Files.size(karafLog()) : 0;
        double firstAnswer = -1;
        script = new ProcessBuilder("setsid", "bin/dumm-server").directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("data/log/karaf.out").toFile()))
                .redirectInput(new File("/dev/null")).start();
        long deadline = t0 + START_TIMEOUT.toNanos();
        // As ./dumm start: the console is asked once karaf.log says the mesh is up, and every 2 s
        // before that. An ask that comes too early fails (and costs the starting Karaf a session),
        // and the next one is a whole SSH session later.
        LogWatch meshLine = new LogWatch(karafLog(), logBytesBefore, "Dumm mesh ready");
        long asked = t0;
        while (true) {
            if (jvmPid < 0) {
                jvmPid = findJvm();
            }
            long now = System.nanoTime();
            if (jvmPid > 0 && (meshLine.seen() || now - asked >= 2_000_000_000L)) {
                asked = now;
                Host.Result r = sshRaw("dumm:version", Duration.ofSeconds(10));
                if (r.ok() && firstAnswer < 0) {
                    firstAnswer = Stats.round((System.nanoTime() - t0) / 1e9);
                }
                if (r.ok() && r.out().contains("Mesh service: up")) {
                    double ready = Stats.round((System.nanoTime() - t0) / 1e9);
                    lastStart = new LinkedHashMap<>();
                    lastStart.put("ready_s", ready);
                    lastStart.put("console_first_answer_s", firstAnswer);
                    lastStart.put("mesh_ready_logged_s", meshReadyLogged(wall0, meshLine));
                    // CPU the JVM used to get there: on a shared host it varies less than the wall time
                    lastStart.put("jvm_cpu_s", Stats.round(Host.cpuSeconds(jvmPid)));
                    lastStart.put("waited_for_quiet_host_s", Stats.round(quiet[0]));
                    lastStart.put("host_busy_before", Stats.round(quiet[1]));
                    return ready;
                }
            }
            if (!script.isAlive()) {
                throw new IllegalStateException("Karaf exited during start" + logTails());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Karaf did not come up within " + START_TIMEOUT.toSeconds() + " s" + logTails());
            }
            Host.sleep(50);
        }
    }

    /** The ends of the instance's logs, for a failure's message: the bench deletes its directory at the end. */
    private String logTails() {
        StringBuilder b = new StringBuilder();
        for (Path p : List.of(home.resolve("data/log/karaf.out"), karafLog())) {
            try {
                List<String> lines = Files.readAllLines(p);
                b.append("\n--- last lines of ").append(p).append(":\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
            } catch (IOException | java.io.UncheckedIOException e) {
                b.append("\n--- ").append(p).append(": ").append(e.getMessage());
            }
        }
        return b.toString();
    }

    /** The first line of a growing log, after a byte offset, that holds a text; reads only new bytes. */
    private static final class LogWatch {
        private final Path file;
        private final String text;
        /** Where the next read starts: just after the last whole line read. */
        private long position;
        private String line;

        LogWatch(Path file, long from, String text) {
            this.file = file;
            this.position = from;
            this.text = text;
        }

        boolean seen() {
            return line() != null;
        }

        /** The line once it is in the log (read again on each call until then), else null. */
        String line() {
            if (line != null) {
                return line;
            }
            try (FileChannel ch = FileChannel.open(file)) {
                long size = ch.size();
                if (size <= position) {
                    return null;
                }
                ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - position, 16 << 20));
                ch.read(buf, position);
                String chunk = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
                int end = chunk.lastIndexOf('\n') + 1; // a line still being written is read next time
                position += chunk.substring(0, end).getBytes(StandardCharsets.UTF_8).length;
                for (String l : chunk.substring(0, end).split("\n")) {
                    if (l.contains(text)) {
                        line = l;
                        break;
                    }
                }
            } catch (IOException e) {
                return null; // not there yet
            }
            return line;
        }
    }

    private Path karafLog() {
        return home.resolve("data/log/karaf.log");
    }

    /**
     * Seconds from the start command to MeshManager's "Dumm mesh ready" line in karaf.log (its
     * millisecond timestamp, local time), or -1: where a start's time goes, Karaf and Dumm's
     * bundles versus the console becoming usable.
     */
    private static double meshReadyLogged(long wall0, LogWatch meshLine) {
        String line = meshLine.line();
        if (line == null) {
            return -1;
        }
        try {
            LocalDateTime at = LocalDateTime.parse(line.substring(0, 23).replace(',', '.'));
            return Stats.round((at.atZone(ZoneId.systemDefault()).toInstant().toEpochMilli() - wall0) / 1e3);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** The Karaf JVM of this instance (its command line names this karaf.base), or -1. */
    private long findJvm() {
        for (long pid : Host.pidsWhoseCommandContains("-Dkaraf.base=" + home + " ")) {
            if (Host.cmdline(pid).contains("java")) {
                return pid;
            }
        }
        return -1;
    }

    private void stop() throws Exception {
        long pid = jvmPid;
        Host.run(Duration.ofSeconds(60), home.resolve("bin/stop").toString());
        for (int i = 0; i < 600 && Host.alive(pid); i++) {
            Host.sleep(100);
        }
        if (Host.alive(pid)) {
            Host.kill(pid);
        }
        if (script != null) {
            script.waitFor(30, TimeUnit.SECONDS);
        }
        jvmPid = -1;
    }

    /** Heap, metaspace and thread figures of the Karaf JVM (jcmd), to see where its RSS goes. */
    private Map<String, Object> jvmInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        Host.Result heap = Host.run(Duration.ofSeconds(20), "jcmd", Long.toString(jvmPid), "GC.heap_info");
        m.put("gc_heap_info", heap.out().lines().filter(l -> l.contains("total") || l.contains("Metaspace")
                || l.contains("class space")).map(String::trim).toList());
        m.put("threads", Host.memoryOf(jvmPid).isEmpty() ? -1 : threads());
        m.put("rss_mb", rssMb());
        return m;
    }

    private long threads() {
        try {
            return Files.readAllLines(Path.of("/proc", Long.toString(jvmPid), "status")).stream()
                    .filter(l -> l.startsWith("Threads:")).mapToLong(l -> Long.parseLong(l.substring(8).trim()))
                    .findFirst().orElse(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    private double rssMb() {
        return Stats.round(Host.rssKb(jvmPid) / 1024.0);
    }

    private int runningGuests() throws IOException {
        Host.Result r = ssh("dumm:guest-list --json", Duration.ofSeconds(30));
        String out = r.out();
        int start = out.indexOf('[');
        JsonNode list = new ObjectMapper().readTree(start >= 0 ? out.substring(start) : out);
        int n = 0;
        for (JsonNode g : list) {
            n += g.path("state").asText().equals("RUNNING") ? 1 : 0;
        }
        return n;
    }

    private Host.Result ssh(String commands, Duration timeout) {
        Host.Result r = sshRaw(commands, timeout);
        if (!r.ok() || r.out().contains("Error executing command") || r.out().contains("Command not found")) {
            throw new IllegalStateException("karaf console: " + commands.lines().findFirst().orElse("") + " … failed ("
                    + r.exit() + "): " + r.out().trim());
        }
        return r;
    }

    private Host.Result sshRaw(String commands, Duration timeout) {
        // the commands travel as the exec request, as with ./dumm client
        return Host.run(timeout, "ssh", "-T", "-q", "-p", Integer.toString(sshPort), "-i", key.toString(),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "PasswordAuthentication=no",
                "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "HostKeyAlias=dmb-karaf", "-o", "ConnectTimeout=5", "dmbench@127.0.0.1", commands);
    }

    /** Kills this instance's JVM and start script (by pid) if they still run. */
    void cleanup(List<String> problems) {
        long pid = jvmPid > 0 ? jvmPid : findJvm();
        if (pid > 0 && Host.alive(pid)) {
            problems.add("killed the bench's Karaf JVM " + pid);
            Host.kill(pid);
        }
        if (script != null && script.isAlive()) {
            Host.kill(script.pid());
        }
        try {
            if (script != null) {
                script.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
