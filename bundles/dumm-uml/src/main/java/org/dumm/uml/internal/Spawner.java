package org.dumm.uml.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.nativ.CpuAffinity;
import org.dumm.nativ.Fcntl;
import org.dumm.nativ.LibC;
import org.dumm.nativ.Native;

/**
 * Starts a process in-process with posix_spawn(3): its own session (POSIX_SPAWN_SETSID, so it
 * outlives Karaf and gets no terminal signals), default signal dispositions and an empty mask,
 * stdin /dev/null, stdout and stderr appended to a log, chosen descriptors passed at fixed
 * numbers and every other descriptor closed.
 * <p>
 * Personality (ADDR_NO_RANDOMIZE), nice value and CPU affinity are per-thread attributes on Linux
 * that the spawned process inherits from the spawning thread, so each spawn runs on a short-lived
 * thread of its own that sets them first; no {@code setarch}, {@code nice} or {@code taskset}
 * process is needed.
 */
final class Spawner {

    private static final int PRIO_PROCESS = 0;
    // opaque glibc structs, sized generously (x86_64: attr 336, file actions 80, sigset 128 bytes)
    private static final int ATTR_SIZE = 1024;
    private static final int ACTIONS_SIZE = 1024;
    private static final int SIGSET_SIZE = 256;

    private Spawner() {
    }

    /**
     * Spawns {@code argv[0]} and returns its pid.
     *
     * @param argv      program and arguments
     * @param env       environment, NAME=value
     * @param log       file for stdout and stderr (created or truncated)
     * @param cwd       working directory of the child
     * @param passFds   descriptors to hand over: {@code passFds[i]} becomes fd {@code 3 + i}
     * @param noAslr    set ADDR_NO_RANDOMIZE
     * @param nice      nice value of the child (0: the JVM's)
     * @param cpu       the one CPU the child and its descendants run on (-1: the JVM's CPUs)
     */
    static int spawn(List<String> argv, List<String> env, String log, String cwd, int[] passFds,
                     boolean noAslr, int nice, int cpu) {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(spawnHere(argv, env, log, cwd, passFds, noAslr, nice, cpu));
            } catch (RuntimeException e) {
                result.set(e);
            }
        }, "dumm-uml-spawn");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.HOST_ERROR, "interrupted while starting " + argv.get(0));
        }
        Object r = result.get();
        if (r instanceof RuntimeException e) {
            throw e;
        }
        return (Integer) r;
    }

    private static int spawnHere(List<String> argv, List<String> env, String log, String cwd, int[] passFds,
                                 boolean noAslr, int nice, int cpu) {
        LibC c = Native.libc();
        if (cpu >= 0) {
            BitSet one = new BitSet();
            one.set(cpu);
            CpuAffinity.set(0, one);
        }
        if (noAslr) {
            int old = c.personality(Fcntl.PERSONALITY_QUERY);
            Native.check(c.personality(old | Fcntl.ADDR_NO_RANDOMIZE), "personality(ADDR_NO_RANDOMIZE)");
        }
        if (nice != 0) {
            Native.check(c.setpriority(PRIO_PROCESS, 0, nice), "setpriority(" + nice + ")");
        }
        Pointer attr = Native.allocate(ATTR_SIZE);
        Pointer actions = Native.allocate(ACTIONS_SIZE);
        Pointer mask = Native.allocate(SIGSET_SIZE);
        Pointer defaults = Native.allocate(SIGSET_SIZE);
        checkRc(c.posix_spawnattr_init(attr), "posix_spawnattr_init");
        checkRc(c.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        try {
            checkRc(c.posix_spawnattr_setflags(attr, (short) (Fcntl.POSIX_SPAWN_SETSID
                    | Fcntl.POSIX_SPAWN_SETSIGMASK | Fcntl.POSIX_SPAWN_SETSIGDEF)), "posix_spawnattr_setflags");
            c.sigemptyset(mask);
            checkRc(c.posix_spawnattr_setsigmask(attr, mask), "posix_spawnattr_setsigmask");
            c.sigfillset(defaults); // the JVM's handlers and ignores must not leak into the guest
            checkRc(c.posix_spawnattr_setsigdefault(attr, defaults), "posix_spawnattr_setsigdefault");

            checkRc(c.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", Fcntl.O_RDONLY, 0), "addopen stdin");
            checkRc(c.posix_spawn_file_actions_addopen(actions, 1, log,
                    Fcntl.O_WRONLY | Fcntl.O_CREAT | Fcntl.O_TRUNC | Fcntl.O_APPEND, 0644), "addopen " + log);
            checkRc(c.posix_spawn_file_actions_adddup2(actions, 1, 2), "adddup2 stderr");
            // Move the passed descriptors above every one of them and above their targets first, so
            // that placing one at 3 + i cannot overwrite another still waiting to be placed.
            int staging = 3 + passFds.length;
            for (int fd : passFds) {
                staging = Math.max(staging, fd + 1);
            }
            for (int i = 0; i < passFds.length; i++) {
                checkRc(c.posix_spawn_file_actions_adddup2(actions, passFds[i], staging + i), "adddup2 staging");
            }
            for (int i = 0; i < passFds.length; i++) {
                checkRc(c.posix_spawn_file_actions_adddup2(actions, staging + i, 3 + i), "adddup2 fd " + (3 + i));
            }
            checkRc(c.posix_spawn_file_actions_addclosefrom_np(actions, 3 + passFds.length), "addclosefrom_np");
            checkRc(c.posix_spawn_file_actions_addchdir_np(actions, cwd), "addchdir_np " + cwd);

            IntByReference pid = new IntByReference();
            String[] args = new ArrayList<>(argv).toArray(new String[0]);
            String[] envp = env.toArray(new String[0]);
            int rc = c.posix_spawn(pid, argv.get(0), actions, attr, args, envp);
            if (rc != 0) {
                throw Native.error("starting " + argv.get(0), rc);
            }
            return pid.getValue();
        } finally {
            c.posix_spawn_file_actions_destroy(actions);
            c.posix_spawnattr_destroy(attr);
        }
    }

    private static void checkRc(int rc, String what) {
        if (rc != 0) {
            throw Native.error(what, rc);
        }
    }
}
