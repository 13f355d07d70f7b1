package org.dumm.itests;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The Dumm distribution for real, outside Pax Exam: unpacked from the assembly's tar.gz, given
 * free ports, its own work dir and device marker, started as {@code ./dumm start} does, with
 * {@code bin/dumm-server} (a child of this JVM), and driven through its SSH console with
 * OpenSSH and a key made for it, as {@code ./dumm client} does. Pax Exam cannot restart its
 * container; this can.
 */
final class KarafInstance implements AutoCloseable {

    /** Lines by which Karaf's console reports a failed command (the exec channel says so too). */
    private static final Pattern ERROR_LINE = Pattern.compile("(?m)^(Error executing command|Command not found:).*$");
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*[A-Za-z]");

    private final Path home;
    private final Path workDir;
    private final String aliasPrefix;
    private final int sshPort;
    private final Path key;
    private final Path knownHosts;
    private Process process;

    private KarafInstance(Path home, Path workDir, String aliasPrefix, int sshPort) {
        this.home = home;
        this.workDir = workDir;
        this.aliasPrefix = aliasPrefix;
        this.sshPort = sshPort;
        this.key = home.resolve("etc/dumm-itest.key");
        this.knownHosts = home.resolve("etc/dumm-itest-known_hosts");
    }

    /**
     * Unpacks {@code distribution} into {@code home} (emptied first) and configures it: free
     * loopback ports, Dumm's work dir and device marker, and an SSH key for user {@code dumm}.
     */
    static KarafInstance unpack(Path distribution, Path home, Path workDir, String aliasPrefix, int deviceGroup)
            throws IOException {
        if (!Host.deleteTree(home)) {
            throw new IllegalStateException("cannot empty " + home + " (something is mounted inside?)");
        }
        Files.createDirectories(home);
        check(Host.run("tar", "-xzf", distribution.toString(), "-C", home.toString(), "--strip-components=1"),
                "unpacking " + distribution);
        int ssh = Host.freeLoopbackPort();
        Path etc = home.resolve("etc");
        setProperty(etc.resolve("org.apache.karaf.shell.cfg"), "sshPort", Integer.toString(ssh));
        setProperty(etc.resolve("org.apache.karaf.management.cfg"), "rmiRegistryPort", Integer.toString(Host.freeLoopbackPort()));
        setProperty(etc.resolve("org.apache.karaf.management.cfg"), "rmiServerPort", Integer.toString(Host.freeLoopbackPort()));
        setProperty(etc.resolve("org.ops4j.pax.web.cfg"), "org.osgi.service.http.port", Integer.toString(Host.freeLoopbackPort()));
        setProperty(etc.resolve("org.dumm.cfg"), "workDir", workDir.toString());
        setProperty(etc.resolve("org.dumm.cfg"), "deviceAliasPrefix", aliasPrefix);
        setProperty(etc.resolve("org.dumm.cfg"), "deviceGroup", Integer.toString(deviceGroup));
        KarafInstance k = new KarafInstance(home, workDir, aliasPrefix, ssh);
        check(Host.run("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-C", "dumm-itest", "-f", k.key.toString()),
                "ssh-keygen");
        String pub = Files.readString(Path.of(k.key + ".pub")).trim().split("\\s+")[1];
        Files.writeString(etc.resolve("keys.properties"), "\ndumm=" + pub + ",_g_:admingroup\n",
                java.nio.file.StandardOpenOption.APPEND);
        return k;
    }

    Path home() {
        return home;
    }

    Path workDir() {
        return workDir;
    }

    String aliasPrefix() {
        return aliasPrefix;
    }

    /** Pid of the Karaf JVM (bin/karaf execs it), or -1 when not running. */
    long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Starts Karaf and returns once Dumm's commands answer with the Mesh service up. */
    Duration start(Duration timeout) throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("already running (pid " + process.pid() + ")");
        }
        Path log = home.resolve("data/log/karaf-console.out");
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/dumm-server").toString())
                .directory(home.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KARAF_EXEC", "exec"); // the script becomes the JVM: the pid we hold is Karaf's
        long t0 = System.nanoTime();
        process = pb.start();
        long deadline = t0 + timeout.toNanos();
        String last = "";
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("Karaf exited with status " + process.exitValue() + " during start; "
                        + "see " + log + " and " + home.resolve("data/log/karaf.log") + startLogs(log));
            }
            Result r = run("dumm:version", Duration.ofSeconds(20));
            last = "ssh status " + r.status() + ": " + r.out() + r.err();
            if (r.out().lines().anyMatch("Mesh service: up"::equals)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Dumm did not come up within " + timeout.toSeconds() + " s; last answer: " + last
                        + "; see " + home.resolve("data/log/karaf.log") + startLogs(log));
            }
            Host.sleep(250);
        }
        String pidFile = Files.readString(home.resolve("karaf.pid")).trim();
        if (!pidFile.equals(Long.toString(process.pid()))) {
            throw new AssertionError("karaf.pid says " + pidFile + " but the JVM started is " + process.pid());
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Stops Karaf (bin/stop, then SIGTERM, then SIGKILL to the JVM started here). */
    Duration stop() {
        long t0 = System.nanoTime();
        if (!isRunning()) {
            return Duration.ZERO;
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/stop").toString()).directory(home.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            Process stopper = pb.start();
            if (!stopper.waitFor(60, TimeUnit.SECONDS)) {
                stopper.destroyForcibly();
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
                }
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    @Override
    public void close() {
        stop();
    }

    // ------------------------------------------------------------------ console commands

    /** What one SSH call printed; {@code failed} when it exited non-zero or printed an error line. */
    record Result(int status, String out, String err) {
        boolean failed() {
            return status != 0 || ERROR_LINE.matcher(out).find();
        }

        String errorLines() {
            return ERROR_LINE.matcher(out).results().map(m -> m.group()).collect(Collectors.joining("\n"));
        }
    }

    /** The ends of the start's logs, for a failure message: the test's clean-up removes the files. */
    private String startLogs(Path consoleOut) {
        StringBuilder b = new StringBuilder();
        for (Path p : List.of(consoleOut, home.resolve("data/log/karaf.log"))) {
            try {
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                // what the console's server and errors said may be far above the last lines
                List<String> telling = lines.stream()
                        .filter(l -> l.contains("| ERROR") || l.contains("| WARN") || l.contains("sshd") || l.contains("SshServer")
                                || l.contains("already in use"))
                        .toList();
                if (!telling.isEmpty()) {
                    b.append("\n--- errors, warnings and SSH lines of ").append(p).append(":\n")
                            .append(String.join("\n", telling.subList(Math.max(0, telling.size() - 30), telling.size())));
                }
                b.append("\n--- last lines of ").append(p).append(":\n")
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())));
            } catch (IOException e) {
                b.append("\n--- ").append(p).append(": ").append(e.getMessage());
            }
        }
        return b.toString();
    }

    /** Runs console commands (several separated by ';' or newlines) in one SSH call. */
    Result run(String commands, Duration timeout) {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-T", "-q", "-p", Integer.toString(sshPort),
                "-i", key.toString(), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "PasswordAuthentication=no", "-o", "StrictHostKeyChecking=accept-new",
                "-o", "UserKnownHostsFile=" + knownHosts, "-o", "HostKeyAlias=dumm-itest",
                "-o", "ConnectTimeout=5", "dumm@127.0.0.1", commands));
        try {
            Path out = Files.createTempFile(home, "ssh-", ".out");
            Path err = Files.createTempFile(home, "ssh-", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new AssertionError("'" + commands + "' did not finish within " + timeout.toSeconds()
                            + " s; output so far:\n" + plain(Files.readString(out)));
                }
                return new Result(p.exitValue(), plain(Files.readString(out)), plain(Files.readString(err)));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("running ssh: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Deletes every guest and bridge the running Dumm tracks (a teardown after a failed test). */
    Result deleteAllThroughDumm() {
        return run("dumm:guest-delete --all --force; dumm:bridge-delete --all", Duration.ofSeconds(120));
    }

    /** Runs commands that must succeed; returns their output. */
    String ok(String commands) {
        return ok(commands, Duration.ofSeconds(120));
    }

    String ok(String commands, Duration timeout) {
        Result r = run(commands, timeout);
        if (r.failed()) {
            throw new AssertionError("'" + commands + "' failed (ssh status " + r.status() + "):\n" + r.out() + r.err());
        }
        return r.out();
    }

    /** Runs commands that must fail; returns the error lines. */
    String failing(String commands) {
        Result r = run(commands, Duration.ofSeconds(120));
        if (!r.failed()) {
            throw new AssertionError("'" + commands + "' should have failed but printed:\n" + r.out());
        }
        return r.errorLines();
    }

    private static String plain(String s) {
        return ANSI.matcher(s).replaceAll("").replace("\r", "");
    }

    // ------------------------------------------------------------------ setup helpers

    /** Sets {@code key = value} in a Karaf .cfg file: replaces an active line or appends one. */
    static void setProperty(Path file, String key, String value) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        Pattern active = Pattern.compile("^\\s*" + Pattern.quote(key) + "\\s*[=:].*$");
        boolean done = false;
        for (int i = 0; i < lines.size(); i++) {
            if (active.matcher(lines.get(i)).matches()) {
                if (done) {
                    lines.remove(i--);
                } else {
                    lines.set(i, key + " = " + value);
                    done = true;
                }
            }
        }
        if (!done) {
            lines.add(key + " = " + value);
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static void check(Host.Result r, String what) {
        if (r.status() != 0) {
            throw new IllegalStateException(what + " failed (status " + r.status() + "): " + r.out());
        }
    }
}
