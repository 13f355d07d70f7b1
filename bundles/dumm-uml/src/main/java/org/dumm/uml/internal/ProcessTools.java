package org.dumm.uml.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.dumm.nativ.Errno;
import org.dumm.nativ.Fcntl;
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

    /** Fields after the command name of /proc/pid/stat (index 0 = state), or null when gone. */
    private static String[] stat(int pid) {
        try {
            String s = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            int close = s.lastIndexOf(')'); // the command name may hold spaces and parentheses
            return s.substring(close + 2).trim().split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** True when {@code pid} exists (zombies included) and is this JVM's child. */
    static boolean isOurChild(int pid) {
        String[] f = stat(pid);
        return f != null && Integer.parseInt(f[1]) == SELF;
    }

    /** True when {@code pid} exists and is not a zombie. */
    static boolean isRunning(int pid) {
        String[] f = stat(pid);
        return f != null && !"Z".equals(f[0]) && !"X".equals(f[0]);
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
     */
    static boolean awaitGroupGone(int pgid, String marker, long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (true) {
            boolean empty = Native.libc().kill(-pgid, 0) != 0 && Native.errno() == Errno.ESRCH;
            if (empty || members(pgid, marker).isEmpty()) {
                return true;
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

    /** Live (non-zombie) processes of group {@code pgid} with {@code marker} among their arguments. */
    static List<Integer> members(int pgid, String marker) {
        List<Integer> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : procs) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                int pid = Integer.parseInt(name);
                String[] f = stat(pid);
                if (f != null && !"Z".equals(f[0]) && Integer.parseInt(f[2]) == pgid
                        && cmdline(pid).contains(marker)) {
                    found.add(pid);
                }
            }
        } catch (IOException | RuntimeException e) {
            // /proc unreadable: report what was seen
        }
        return found;
    }
}
