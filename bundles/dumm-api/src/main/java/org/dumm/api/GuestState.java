package org.dumm.api;

/** Life-cycle state of a guest as the mesh sees it. */
public enum GuestState {
    /** Defined, not running (never started, or stopped cleanly). */
    STOPPED,
    /** Its kernel is booting; not yet answering. */
    STARTING,
    /** Booted and answering (exec works). */
    RUNNING,
    /** Paused through the backend (e.g. mconsole {@code stop}); memory kept, no CPU used. */
    PAUSED,
    /** Being shut down. */
    STOPPING,
    /** Its process died without being asked to (kill, panic). Start it again to recover. */
    CRASHED,
    /** Its backend is not registered right now; the guest may still run and is re-adopted later. */
    UNAVAILABLE
}
