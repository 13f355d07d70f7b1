package org.dumm.core.internal;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

import org.dumm.api.Guest;
import org.dumm.api.GuestState;
import org.dumm.api.KernelModules;
import org.dumm.api.Startup;
import org.dumm.api.spi.GuestHandle;

/**
 * A guest as the mesh tracks it at run time: its persisted record plus state and the backend
 * handle. Life-cycle operations hold {@link #lock}; fields are volatile so listings never block.
 */
final class GuestEntry {
    final String name;
    final ReentrantLock lock = new ReentrantLock();
    volatile GuestRecord record;
    volatile GuestState state = GuestState.STOPPED;
    volatile GuestHandle handle;
    volatile Instant startedAt;
    /** The modules its kernel gives it, as last resolved (create, start, re-adoption). */
    volatile KernelModules modules;
    /** Its startup after the last boot, or null before one. */
    volatile Startup startup;
    /** Completes when the startup after the last boot is done; null when unknown (re-adopted). */
    volatile CompletableFuture<Startup> startupDone;

    GuestEntry(GuestRecord record) {
        this.name = record.name();
        this.record = record;
    }

    Guest toApi() {
        GuestRecord r = record;
        GuestHandle h = handle;
        return new Guest(r.name(), state, r.backend(), r.kernel(), r.master(), r.memoryMb(), r.extraArgs(),
                h == null ? 0 : h.pid(), startedAt,
                r.interfaces().stream().map(i -> i.toApi(r.name())).toList(), modules, startup);
    }

    boolean isUp() {
        GuestState s = state;
        return handle != null && (s == GuestState.RUNNING || s == GuestState.PAUSED);
    }
}
