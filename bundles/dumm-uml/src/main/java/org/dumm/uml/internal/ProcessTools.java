package org.dumm.uml.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.Pointer;

import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;

/** What /proc tells about a process, and killing a guest's whole process group. */
final class ProcessTools {

    private static final int SELF = (int) ProcessHandle.current().pid();

    private ProcessTools() {
    }

    /** The process's arguments, or an empty list when it is gone. */
    static List<String> cmdline(int pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return args;
        } catch (IOException e) {
            return List.of();
        }
    }

    private static final int STAT_MAX = 1024;
    private static final ThreadLocal<Pointer> STAT_BUF = ThreadLocal.withInitial(() -> Native.allocate(STAT_MAX));

    /**
     * State (a character), parent pid and process group of {@code pid} from /proc/pid/stat, or
     * null when it is gone. Plain system calls into a buffer per thread: finding a group's
     * members reads every process's stat, and after 50 guests stopped at once those scans
     * through java.nio (a String and a split per process) took seconds of CPU.
     */
    private static int[] stat(int pid) {
        LibC c = Native.libc();
        int fd = c.open("/proc/" + pid + "/stat", Fcntl.O_RDONLY | Fcntl.O_CLOEXEC, 0);
        if (fd < 0) {
            return null;
        }
        Pointer buf = STAT_BUF.get();
        long n;
        try {
            n = c.read(fd, buf, STAT_MAX);
        } finally {
            c.close(fd);
        }
        // the command name may hold spaces and parentheses: the fields go on after the last ')'
        int close = -1;
        for (int i = (int) n - 1; i >= 0 && close < 0; i--) {
            if (buf.getByte(i) == ')') {
                close = i;
            }
        }
        if (close < 0 || close + 4 >= n) {
            return null;
        }
        int[] fields = new int[3];
        fields[0] = buf.getByte(close + 2);
        int pos = close + 4;
        for (int k = 1; k < 3; k++) {
            int v = 0;
            boolean negative = pos < n && buf.getByte(pos) == '-';
            if (negative) {
                pos++;
            }
            for (byte b; pos < n && (b = buf.getByte(pos)) >= '0' && b <= '9'; pos++) {
                v = v * 10 + (b - '0');
            }
            fields[k] = negative ? -v : v;
            pos++; // the space
        }
        return fields;
    }

    private static boolean isZombie(int[] stat) {
        return stat[0] == 'Z' || stat[0] == 'X';
    }

    /** True when {@code pid} exists (zombies included) and is this JVM's child. */
    static boolean isOurChild(int pid) {
        int[] f = stat(pid);
        return f != null && f[1] == SELF;
    }

    /** True when {@code pid} exists and is not a zombie. */
    static boolean isRunning(int pid) {
        int[] f = stat(pid);
        return f != null && !isZombie(f);
    }

    /**
     * SIGKILLs every process of group {@code pgid}. While the leader is our unreaped child the
     * group id cannot have been reused and kill(-pgid) is exact; otherwise only members that
     * carry {@code marker} among their arguments are killed, one by one.
     */
    static void killGroup(int pgid, String marker) {
        if (isOurChild(pgid)) {
            Native.libc().kill(-pgid, Fcntl.SIGKILL);
            return;
        }
        for (int pid : members(pgid, marker)) {
            Native.libc().kill(pid, Fcntl.SIGKILL);
        }
    }

    /**
     * Waits up to {@code millis} until group {@code pgid} has no live member left: an empty group
     * (kill(-pgid, 0) says ESRCH) or only zombies, which hold nothing any more but may wait a
     * while for init to reap them. True when so.
     *
     * <p>Finding members means reading every process's stat in /proc (a few ms with 50 guests
     * running), and when 50 guests stop together their waits run one after another. So /proc is
     * scanned once, then only the members found are looked at until they are gone, and one more
     * scan confirms it (a group whose members were all sent SIGKILL does not grow).
     */
    static boolean awaitGroupGone(int pgid, String marker, long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        List<Integer> left = null;
        while (true) {
            boolean empty = Native.libc().kill(-pgid, 0) != 0 && Native.errno() == Errno.ESRCH;
            if (empty) {
                return true;
            }
            if (left != null) {
                left.removeIf(pid -> !isLiveMember(pid, pgid));
            }
            if (left == null || left.isEmpty()) {
                left = members(pgid, marker);
                if (left.isEmpty()) {
                    return true;
                }
            }
            if (System.nanoTime() > end) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** True while {@code pid} is alive (not a zombie) in group {@code pgid}. */
    private static boolean isLiveMember(int pid, int pgid) {
        int[] f = stat(pid);
        return f != null && !isZombie(f) && f[2] == pgid;
    }

    /**
     * Live (non-zombie) processes of group {@code pgid} with {@code marker} among their
     * arguments, or exiting ones (no arguments any more).
     */
    static List<Integer> members(int pgid, String marker) {
        List<Integer> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : procs) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                int pid = Integer.parseInt(name);
                if (!isLiveMember(pid, pgid)) {
                    continue;
                }
                // A process on its way out has released its memory and shows no arguments,
                // but may still hold files (a TAP, the guest's root): it counts until it is a zombie.
                List<String> args = cmdline(pid);
                if (args.isEmpty() || args.contains(marker)) {
                    found.add(pid);
                }
            }
        } catch (IOException | RuntimeException e) {
            // /proc unreadable: report what was seen
        }
        return found;
    }
}
