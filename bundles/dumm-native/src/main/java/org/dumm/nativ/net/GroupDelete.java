package org.dumm.nativ.net;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.nativ.Errno;
import org.dumm.nativ.NativeException;

/**
 * Deletes many devices in one kernel operation: move them into the marker's scratch group, then
 * one RTM_DELLINK for that group. The kernel unregisters the whole group together and waits for
 * one RCU grace period instead of one per device (~19 ms per TAP, ~35 ms per bridge here).
 */
public final class GroupDelete {
    private GroupDelete() {
    }

    /** One batch at a time per scratch group in this JVM (the TAP and bridge drivers may share it). */
    private static final Map<Integer, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    /**
     * Deletes the devices of {@code names} that exist (duplicates and absent names are passed
     * over). Every name is checked first and every device handed to {@code checkOwned}, which
     * throws for one that is not Dumm's: then nothing is deleted.
     *
     * @param kind noun for one device in name errors ("TAP", "bridge")
     * @param what noun for several in messages ("TAPs", "bridges")
     */
    public static void deleteNamed(RtLink rt, DeviceMarker marker, Collection<String> names, String kind,
                                   String what, Consumer<Link> checkOwned) {
        List<String> unique = new ArrayList<>(new LinkedHashSet<>(names));
        unique.forEach(n -> IfNames.check(kind, n));
        if (unique.isEmpty()) {
            return;
        }
        List<Link> victims = new ArrayList<>();
        for (Optional<Link> l : rt.getAll(unique)) {
            if (l.isPresent()) {
                checkOwned.accept(l.get());
                victims.add(l.get());
            }
        }
        delete(rt, marker, victims, what);
    }

    /**
     * Deletes {@code victims}, which the caller has checked carry {@code marker}.
     *
     * @param victims devices to delete
     * @param what    noun for messages ("TAPs", "bridges")
     * @throws DummException HOST_ERROR (nothing deleted) when a device that is not Dumm's sits in
     *                       the scratch group, or when the kernel refuses
     */
    public static void delete(RtLink rt, DeviceMarker marker, List<Link> victims, String what) {
        if (victims.isEmpty()) {
            return;
        }
        int scratch = marker.scratchGroup();
        ReentrantLock lock = LOCKS.computeIfAbsent(scratch, g -> new ReentrantLock());
        lock.lock();
        try {
            RtLink.Snapshot snapshot = rt.snapshot();
            if (!snapshot.consistent()) {
                // Without a trustworthy listing we cannot be sure the scratch group holds only
                // our devices: take the slow path, which touches exactly the victims.
                deleteOneByOne(rt, victims, what);
                return;
            }
            Set<Integer> wanted = new HashSet<>();
            victims.forEach(v -> wanted.add(v.index()));
            // Whatever else is in the scratch group would go too. Dumm's own devices there are left
            // over from an interrupted batch: return them to the home group. Anything else: stop.
            List<LinkRequest> restore = new ArrayList<>();
            for (Link l : snapshot.links()) {
                if (l.group() == scratch && !wanted.contains(l.index())) {
                    if (!marker.owns(l)) {
                        throw new DummException(Reason.HOST_ERROR, "device '" + l.name() + "' is in device group "
                                + scratch + ", which Dumm uses to delete its own devices, but it is not Dumm's; "
                                + "nothing was deleted");
                    }
                    restore.add(LinkRequest.of(l.index()).group(marker.group()));
                }
            }
            throwFirst(rt.changeAll(restore, i -> "returning device to group " + marker.group()));

            List<LinkRequest> moves = new ArrayList<>(victims.size());
            victims.forEach(v -> moves.add(LinkRequest.of(v.index()).group(scratch)));
            List<NativeException> moved = rt.changeAll(moves,
                    i -> "moving " + victims.get(i).name() + " to device group " + scratch);
            NativeException failure = null;
            for (NativeException e : moved) {
                // A device that vanished meanwhile needs no deleting.
                if (e != null && e.errno() != Errno.ENODEV && failure == null) {
                    failure = e;
                }
            }
            if (failure == null) {
                try {
                    rt.deleteGroup(scratch, "deleting " + victims.size() + " " + what + " (device group " + scratch + ")");
                    return;
                } catch (NativeException e) {
                    if (e.errno() == Errno.ENODEV) {
                        // the group emptied itself meanwhile (a veth goes with its peer when the
                        // peer's namespace dies): what may be left goes one by one, gone is fine
                        deleteOneByOne(rt, victims, what);
                        return;
                    }
                    failure = e;
                }
            }
            // Undo the moves so the devices stay where they were, then report.
            List<LinkRequest> back = new ArrayList<>();
            for (int i = 0; i < victims.size(); i++) {
                if (moved.get(i) == null) {
                    back.add(LinkRequest.of(victims.get(i).index()).group(victims.get(i).group()));
                }
            }
            rt.changeAll(back, i -> "returning device to its group");
            throw failure;
        } finally {
            lock.unlock();
        }
    }

    private static void deleteOneByOne(RtLink rt, List<Link> victims, String what) {
        for (Link v : victims) {
            try {
                rt.delete(v.index(), "deleting " + v.name() + " (one of " + victims.size() + " " + what + ")");
            } catch (NativeException e) {
                if (e.errno() != Errno.ENODEV) {
                    throw e;
                }
            }
        }
    }

    /** Throws the first failure other than "device gone". */
    private static void throwFirst(List<NativeException> results) {
        for (NativeException e : results) {
            if (e != null && e.errno() != Errno.ENODEV) {
                throw e;
            }
        }
    }
}
