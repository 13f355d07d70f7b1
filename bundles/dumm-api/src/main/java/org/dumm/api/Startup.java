package org.dumm.api;

/**
 * A guest's startup after a boot: its interfaces configured, then (for a systemd guest, once
 * systemd has finished booting) its own {@code /etc/dumm/startup}, with the output kept in the
 * guest at {@link #LOG}.
 *
 * @param state      where it is
 * @param exitStatus the startup script's exit status once DONE (0 also when there is no script)
 */
public record Startup(State state, int exitStatus) {

    /** The startup script's output, inside the guest. */
    public static final String LOG = "/var/log/dumm-startup.log";

    /** Where a startup is. */
    public enum State {
        /** Waiting for the guest's init to finish booting, or running the script. */
        RUNNING,
        /** Finished; {@link #exitStatus} tells how. */
        DONE
    }

    /** True once finished, whatever the script's status. */
    public boolean done() {
        return state == State.DONE;
    }
}
