package org.dumm.unionfs.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.LayerStack;
import org.dumm.api.spi.UnionFs;
import org.dumm.nativ.Errno;
import org.dumm.nativ.Mounts;
import org.dumm.nativ.Native;
import org.dumm.nativ.NativeException;
import org.osgi.service.component.annotations.Component;

/**
 * {@link UnionFs} on the kernel's overlayfs, mounted with mount(2) through jnr-ffi.
 *
 * <p>Live switch: the new stack is mounted on a staging directory beside the target, cloned
 * with open_tree(OPEN_TREE_CLONE) into a detached mount (a detached tree has no parent, so
 * the kernel's "no move out of a shared mount" rule does not apply) and attached with
 * move_mount(MOVE_MOUNT_BENEATH) under the old stack, which is then unmounted: every path
 * lookup sees either the old or the new stack, never the bare directory. Kernels before 6.5
 * lack MOVE_MOUNT_BENEATH; there the old stack is detached first and the clone attached right
 * after (a window of two system calls in which the target is the empty directory). Kernels
 * without open_tree (before 5.2) fall back to MS_MOVE, which needs the staging directory's
 * mount not to be shared.
 *
 * <p>Work directories: the work dir of a stack is created if missing and cleared of stale
 * overlayfs state (refused when it holds anything else, or when a mounted overlay uses it).
 * After an unmount that was not lazy its work dir is removed. A first mount also removes the
 * numbered sibling work dirs ({@code <workBase>/<n>}) no mounted overlay uses: nothing runs on
 * an unmounted root, so no lazily detached stack can still need them.
 */
@Component(service = UnionFs.class)
public final class OverlayUnionFs implements UnionFs {

    /** mount(2) source of every overlay Dumm makes: marks them as Dumm's in mountinfo. */
    static final String SOURCE = "dumm";

    /**
     * Host-side flags of the union mount. A guest on hostfs may create device nodes and setuid
     * files in its layers; these keep host processes from using them through the union. The
     * guest itself is not affected (its kernel interprets the nodes and modes).
     */
    static final long MOUNT_FLAGS = Mounts.MS_NODEV | Mounts.MS_NOSUID;

    /** How {@link #switchStack} replaces the mount; AUTO picks the best the kernel offers. */
    enum SwitchMode { AUTO, BENEATH, DETACH_THEN_ATTACH, DETACH_THEN_MS_MOVE }

    private final Object lock = new Object();
    private volatile SwitchMode switchMode = SwitchMode.AUTO;
    private volatile SwitchMode lastSwitchUsed;

    /** For tests: force one way of switching. */
    void switchMode(SwitchMode mode) {
        this.switchMode = mode;
    }

    /** For tests and diagnostics: the way the last switch was done. */
    SwitchMode lastSwitchUsed() {
        return lastSwitchUsed;
    }

    @Override
    public void mount(LayerStack stack, Path target) {
        synchronized (lock) {
            OverlayStack s = OverlayStack.of(stack);
            Path t = OverlayStack.checkedPath("mount point", target);
            if (Files.exists(t, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(t, LinkOption.NOFOLLOW_LINKS)) {
                throw new DummException(Reason.INVALID_ARGUMENT, "mount point " + t + " is not a directory");
            }
            List<Path> concerned = new ArrayList<>(List.of(t, s.upper(), s.work()));
            concerned.addAll(s.lowers());
            MountTable table = MountTable.readAbout(concerned.toArray(Path[]::new));
            MountInfo there = table.top(t);
            if (there != null) {
                throw new DummException(Reason.INVALID_STATE, "mount point " + t + " already has a mount ("
                        + there.fsType() + " '" + there.source() + "')");
            }
            checkNotInUse(s, table, null);
            Dirs.Created created = new Dirs.Created();
            try {
                created.mkdirs(t);
                prepareWork(s.work(), created);
                mountOverlay(s, t);
            } catch (RuntimeException e) {
                created.undo(e);
                throw e;
            }
            removeStaleSiblingWork(s.work());
        }
    }

    @Override
    public void switchStack(Path target, LayerStack newStack) {
        synchronized (lock) {
            Path t = OverlayStack.checkedPath("mount point", target);
            MountTable table = MountTable.read();
            MountInfo current = ownOverlayAt(table, t);
            if (current == null) {
                throw new DummException(Reason.INVALID_STATE, "no overlay is mounted at " + t + "; mount it first");
            }
            OverlayStack s = OverlayStack.of(newStack);
            checkNotInUse(s, table, current);
            String oldWork = current.option("workdir");
            if (oldWork != null && Path.of(oldWork).equals(s.work())) {
                throw new DummException(Reason.INVALID_STATE, "work dir " + s.work()
                        + " is in use by the stack mounted at " + t + "; a new stack needs its own work dir");
            }
            Path stage = stagingPoint(t);
            clearStaleStage(stage);
            SwitchMode mode = switchMode;
            if (mode == SwitchMode.DETACH_THEN_MS_MOVE) {
                checkMovable(stage, table);
            }
            Dirs.Created stageDir = new Dirs.Created();
            Dirs.Created workDir = new Dirs.Created();
            try {
                stageDir.mkdirs(stage);
                prepareWork(s.work(), workDir);
                mountOverlay(s, stage);
            } catch (RuntimeException e) {
                workDir.undo(e);
                stageDir.undo(e);
                throw e;
            }
            boolean oldWasBusy;
            try {
                oldWasBusy = replace(stage, t, current, mode);
            } catch (RuntimeException e) {
                detachQuietly(stage, e);
                workDir.undo(e);
                stageDir.undo(e);
                throw e;
            }
            try {
                Files.deleteIfExists(stage);
            } catch (IOException e) {
                // an empty leftover dir; clearStaleStage removes it next time
            }
            verifyTop(t, s);
            if (!oldWasBusy && oldWork != null) {
                removeWorkIfUnused(Path.of(oldWork));
            }
        }
    }

    @Override
    public void unmount(Path target) {
        synchronized (lock) {
            Path t = OverlayStack.checkedPath("mount point", target);
            clearStaleStage(stagingPoint(t));
            // an interrupted switch can leave two of our overlays stacked here: take all
            for (int i = 0; i < 16; i++) {
                MountInfo top = MountTable.readAbout(t).top(t);
                if (top == null) {
                    return;
                }
                requireOwn(top, t);
                String work = top.option("workdir");
                boolean busy = detach(t);
                if (!busy && work != null) {
                    removeWorkIfUnused(Path.of(work));
                }
            }
            throw new DummException(Reason.HOST_ERROR, "could not unmount everything stacked at " + t);
        }
    }

    @Override
    public boolean isMounted(Path target) {
        Path t = Dirs.canonical(target);
        // Two system calls about the mount visible at t. The mount table costs a read and a
        // parse of every mount (~5-10 ms with 50 guests' overlays on this kind of host), and
        // re-adopting 50 guests after a restart asked once per guest.
        try {
            Optional<Boolean> root = Mounts.isMountRoot(t.toString());
            if (root.isPresent()) {
                return root.get() && Mounts.fsType(t.toString()) == Mounts.OVERLAYFS_SUPER_MAGIC;
            }
        } catch (NativeException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                return false;
            }
            // let the mount table answer
        } catch (UnsatisfiedLinkError e) {
            // a C library without statx (glibc before 2.28): the mount table answers
        }
        MountInfo top = MountTable.readAbout(t).top(t);
        return top != null && MountTable.OVERLAY.equals(top.fsType());
    }

    @Override
    public LayerStack stackAt(Path target) {
        Path t = Dirs.canonical(target);
        MountInfo top = MountTable.readAbout(t).top(t);
        if (top == null || !MountTable.OVERLAY.equals(top.fsType())) {
            throw new DummException(Reason.NOT_FOUND, "no overlay is mounted at " + t);
        }
        return OverlayStack.fromMount(top);
    }

    @Override
    public List<Path> mountsUnder(Path root) {
        Path r = Dirs.canonical(root);
        List<MountInfo> overlays = MountTable.read().overlays();
        Set<Path> result = new LinkedHashSet<>();
        // newest first, so unmounting in list order takes nested mounts before their parents
        for (int i = overlays.size() - 1; i >= 0; i--) {
            MountInfo m = overlays.get(i);
            if (SOURCE.equals(m.source()) && m.mountPoint().startsWith(r)) {
                result.add(m.mountPoint());
            }
        }
        return new ArrayList<>(result);
    }

    // ---- switching

    /**
     * Puts the stack mounted at {@code stage} in place of {@code current} at {@code t}.
     * Returns whether the old stack was busy (detached lazily). On failure the old stack is
     * at {@code t} again and nothing is left at {@code stage} but what the caller removes.
     */
    private boolean replace(Path stage, Path t, MountInfo current, SwitchMode mode) {
        if (mode == SwitchMode.DETACH_THEN_MS_MOVE) {
            return detachThenMsMove(stage, t, current);
        }
        long fd = Native.libc().syscall(Mounts.SYS_OPEN_TREE, Mounts.AT_FDCWD, stage.toString(),
                Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC);
        if (fd < 0) {
            int errno = Native.errno();
            if (errno == Errno.ENOSYS && mode == SwitchMode.AUTO) {
                checkMovable(stage, MountTable.read());
                return detachThenMsMove(stage, t, current);
            }
            throw Native.error("cloning the new stack at " + stage + " (open_tree)", errno);
        }
        try {
            // the clone keeps the new overlay alive; the staging mount is no longer needed
            detachQuietly(stage, null);
            if (mode == SwitchMode.AUTO || mode == SwitchMode.BENEATH) {
                long r = moveMount(fd, t, Mounts.MOVE_MOUNT_BENEATH);
                if (r == 0) {
                    lastSwitchUsed = SwitchMode.BENEATH;
                    return detach(t);
                }
                int errno = Native.errno();
                // EINVAL: a kernel before 6.5 does not know the flag
                if (mode == SwitchMode.BENEATH || (errno != Errno.EINVAL && errno != Errno.ENOSYS)) {
                    throw Native.error("attaching the new stack beneath the one at " + t + " (move_mount)", errno);
                }
            }
            boolean busy = detach(t);
            if (moveMount(fd, t, 0) != 0) {
                NativeException e = Native.error("attaching the new stack at " + t + " (move_mount)");
                restore(current, t, e);
                throw e;
            }
            lastSwitchUsed = SwitchMode.DETACH_THEN_ATTACH;
            return busy;
        } finally {
            Native.libc().close((int) fd);
        }
    }

    private boolean detachThenMsMove(Path stage, Path t, MountInfo current) {
        boolean busy = detach(t);
        if (Native.libc().mount(stage.toString(), t.toString(), null, Mounts.MS_MOVE, null) != 0) {
            NativeException e = Native.error("moving the new stack from " + stage + " to " + t + " (MS_MOVE)");
            restore(current, t, e);
            throw e;
        }
        lastSwitchUsed = SwitchMode.DETACH_THEN_MS_MOVE;
        return busy;
    }

    private static long moveMount(long fd, Path t, long flags) {
        return Native.libc().syscall(Mounts.SYS_MOVE_MOUNT, fd, "", Mounts.AT_FDCWD, t.toString(),
                Mounts.MOVE_MOUNT_F_EMPTY_PATH | flags);
    }

    /**
     * After the old stack was detached but the new one could not be attached: mount the old
     * stack again so the guest keeps a root. Its work dir may still be held by the detached
     * superblock; with index=off overlayfs accepts that.
     */
    private void restore(MountInfo old, Path t, DummException failure) {
        try {
            OverlayStack s = OverlayStack.of(OverlayStack.fromMount(old));
            mountOverlay(s, t);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static void verifyTop(Path t, OverlayStack s) {
        MountInfo top = MountTable.readAbout(t).top(t);
        if (top == null || !s.upper().toString().equals(top.option("upperdir"))) {
            throw new DummException(Reason.HOST_ERROR, "after switching, " + t + " does not show the new stack");
        }
    }

    /** MS_MOVE refuses to move a mount whose parent mount is shared (EINVAL): say so up front. */
    private static void checkMovable(Path stage, MountTable table) {
        MountInfo parent = table.containing(stage.getParent());
        if (parent.shared()) {
            throw new DummException(Reason.INVALID_STATE, "cannot switch with MS_MOVE: " + parent.mountPoint()
                    + " has shared mount propagation, and the kernel refuses to move a mount out of a shared mount");
        }
    }

    private static Path stagingPoint(Path t) {
        return t.resolveSibling("." + t.getFileName() + ".next");
    }

    /** A crash during a switch can leave the staging dir, with our overlay mounted on it. */
    private static void clearStaleStage(Path stage) {
        if (!Files.exists(stage, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        for (int i = 0; i < 16; i++) {
            MountInfo top = MountTable.readAbout(stage).top(stage);
            if (top == null) {
                break;
            }
            requireOwn(top, stage);
            detach(stage);
        }
        try {
            Files.delete(stage);
        } catch (IOException e) {
            throw new DummException(Reason.INVALID_STATE, "stale staging dir " + stage + " cannot be removed: " + e);
        }
    }

    // ---- mount primitives

    private static void mountOverlay(OverlayStack s, Path t) {
        if (Native.libc().mount(SOURCE, t.toString(), MountTable.OVERLAY, MOUNT_FLAGS, s.options()) != 0) {
            NativeException e = Native.error("mounting overlay at " + t);
            throw new DummException(e.reason(), e.getMessage() + "; the kernel log (dmesg) names the cause", e);
        }
    }

    /** Unmounts the top mount at {@code t}; when busy, detaches it lazily. Returns whether it was busy. */
    private static boolean detach(Path t) {
        if (Native.libc().umount2(t.toString(), Mounts.UMOUNT_NOFOLLOW) == 0) {
            return false;
        }
        int errno = Native.errno();
        if (errno == Errno.EINVAL) {
            return false; // not a mount point (any more)
        }
        if (errno != Errno.EBUSY) {
            throw Native.error("unmounting " + t, errno);
        }
        Native.check(Native.libc().umount2(t.toString(), Mounts.MNT_DETACH | Mounts.UMOUNT_NOFOLLOW),
                "detaching busy mount " + t);
        return true;
    }

    private static void detachQuietly(Path t, Throwable failure) {
        if (Native.libc().umount2(t.toString(), Mounts.MNT_DETACH | Mounts.UMOUNT_NOFOLLOW) != 0
                && Native.errno() != Errno.EINVAL && failure != null) {
            failure.addSuppressed(Native.error("detaching " + t));
        }
    }

    // ---- checks and work dirs

    private static MountInfo ownOverlayAt(MountTable table, Path t) {
        MountInfo top = table.top(t);
        if (top == null) {
            return null;
        }
        requireOwn(top, t);
        return top;
    }

    private static void requireOwn(MountInfo m, Path t) {
        if (!MountTable.OVERLAY.equals(m.fsType()) || !SOURCE.equals(m.source())) {
            throw new DummException(Reason.NOT_OWNED, "the mount at " + t + " (" + m.fsType() + " '" + m.source()
                    + "') was not made by Dumm; leaving it alone");
        }
    }

    /** Upper and work must not be written by another mounted overlay; lowers must not be another's upper. */
    private static void checkNotInUse(OverlayStack s, MountTable table, MountInfo replacing) {
        MountInfo user = table.writableUser(s.upper(), replacing);
        if (user != null) {
            throw new DummException(Reason.INVALID_STATE, "upper layer " + s.upper()
                    + " is in use by the overlay at " + user.mountPoint());
        }
        user = table.writableUser(s.work(), null);
        if (user != null) {
            throw new DummException(Reason.INVALID_STATE, "work dir " + s.work()
                    + " is in use by the overlay at " + user.mountPoint());
        }
        for (Path lower : s.lowers()) {
            user = table.writableUser(lower, replacing);
            if (user != null) {
                throw new DummException(Reason.INVALID_STATE, "layer " + lower
                        + " is the writable layer of the overlay at " + user.mountPoint());
            }
        }
    }

    private static void prepareWork(Path work, Dirs.Created created) {
        if (Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)) {
            if (!Dirs.holdsOnlyWorkState(work)) {
                throw new DummException(Reason.INVALID_STATE, "work dir " + work
                        + " holds files that are not overlayfs work state; refusing to clear it");
            }
            Dirs.clearContents(work);
        } else {
            created.mkdirs(work);
        }
    }

    private static void removeWorkIfUnused(Path work) {
        if (!Files.isDirectory(work, LinkOption.NOFOLLOW_LINKS)
                || MountTable.readAbout(work).writableUser(work, null) != null || !Dirs.holdsOnlyWorkState(work)) {
            return;
        }
        Dirs.deleteTree(work);
    }

    private static void removeStaleSiblingWork(Path work) {
        if (!isGeneration(work) || work.getParent() == null) {
            return;
        }
        MountTable table = MountTable.readAbout(work.getParent());
        try (var siblings = Files.list(work.getParent())) {
            for (Path sib : (Iterable<Path>) siblings::iterator) {
                if (!sib.equals(work) && isGeneration(sib) && Files.isDirectory(sib, LinkOption.NOFOLLOW_LINKS)
                        && table.writableUser(sib, null) == null && Dirs.holdsOnlyWorkState(sib)) {
                    Dirs.deleteTree(sib);
                }
            }
        } catch (IOException | RuntimeException e) {
            // leftovers are harmless: they are tried again at the next first mount
        }
    }

    private static boolean isGeneration(Path p) {
        return p.getFileName() != null && p.getFileName().toString().matches("[0-9]{1,9}");
    }
}
