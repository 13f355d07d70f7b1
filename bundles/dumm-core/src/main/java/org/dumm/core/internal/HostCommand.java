package org.dumm.core.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/**
 * A builder program (debootstrap, tar, cp, chroot) run for a master: its output lines go to a
 * consumer as they come, the last ones are kept for the error message, and an interrupt of the
 * calling thread (Ctrl-C on the console) ends the whole process tree it started, by pid.
 */
final class HostCommand {

    private static final int TAIL_LINES = 12;

    private HostCommand() {
    }

    /** Runs {@code argv}; returns its exit status; the last lines of output are in {@code tail}. */
    static int run(List<String> argv, Path dir, Consumer<String> lines, Deque<String> tail) {
        String token = java.util.UUID.randomUUID().toString();
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("LC_ALL", "C");
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            pb.environment().put(TOKEN_VARIABLE, token);
            p = pb.start();
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot run " + argv.get(0) + ": " + e.getMessage(), e);
        }
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (tail) {
                        tail.addLast(line);
                        if (tail.size() > TAIL_LINES) {
                            tail.removeFirst();
                        }
                    }
                    lines.accept(line);
                }
            } catch (IOException ignored) {
                // the process ended or was killed: its exit status tells
            }
        }, "dumm-" + Path.of(argv.get(0)).getFileName());
        reader.setDaemon(true);
        reader.start();
        try {
            int status = p.waitFor();
            reader.join(5_000);
            return status;
        } catch (InterruptedException e) {
            killTree(p.toHandle(), token);
            Thread.currentThread().interrupt();
            throw new DummException(Reason.HOST_ERROR, argv.get(0) + " was interrupted");
        }
    }

    /** Like {@link #run} but a non-zero status is a HOST_ERROR naming {@code what} and the output's end. */
    static void check(String what, List<String> argv, Path dir, Consumer<String> lines) {
        Deque<String> tail = new ArrayDeque<>();
        int status = run(argv, dir, lines, tail);
        if (status != 0) {
            String last;
            synchronized (tail) {
                last = String.join(" / ", tail);
            }
            throw new DummException(Reason.HOST_ERROR, what + " failed (exit " + status + "): " + last);
        }
    }

    /**
     * Every process of a run carries this variable with the run's token: descendants inherit
     * it, so a child forked while the tree is being killed (debootstrap forks a wget per file),
     * which a parent's death hands to init, is still found.
     */
    private static final String TOKEN_VARIABLE = "DUMM_HOST_COMMAND";

    /** Ends a process and everything it started (see {@link #TOKEN_VARIABLE}), and waits for them. */
    static void killTree(ProcessHandle root, String token) {
        for (int round = 0; round < 10; round++) {
            java.util.Set<ProcessHandle> all = new java.util.LinkedHashSet<>(root.descendants().toList());
            all.add(root);
            all.addAll(carrying(token));
            all.removeIf(h -> !h.isAlive());
            if (all.isEmpty()) {
                return;
            }
            for (ProcessHandle h : all) {
                h.destroyForcibly();
            }
            for (ProcessHandle h : all) {
                try {
                    h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // gone or unkillable (D state): nothing more to do from here
                }
            }
        }
    }

    /** Live processes whose environment holds {@code token} (read from /proc: Dumm runs as root). */
    private static List<ProcessHandle> carrying(String token) {
        byte[] want = (TOKEN_VARIABLE + "=" + token).getBytes(StandardCharsets.UTF_8);
        List<ProcessHandle> found = new java.util.ArrayList<>();
        try (var procs = java.nio.file.Files.list(Path.of("/proc"))) {
            for (Path d : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    byte[] env = java.nio.file.Files.readAllBytes(d.resolve("environ"));
                    if (contains(env, want)) {
                        ProcessHandle.of(Long.parseLong(d.getFileName().toString())).ifPresent(found::add);
                    }
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile, or a kernel thread
                }
            }
        } catch (IOException e) {
            // no /proc: the descendants are all there is to go by
        }
        return found;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
