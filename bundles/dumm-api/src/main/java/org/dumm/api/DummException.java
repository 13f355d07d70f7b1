package org.dumm.api;

/**
 * The one exception every Dumm service throws for a failed operation. The message is a single
 * line meant for the user ("guest 'alice' does not exist"); {@link #reason()} lets callers and
 * commands react without parsing text. An operation that throws has left nothing behind.
 */
public class DummException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why an operation failed. */
    public enum Reason {
        /** A name, CIDR, MAC, size or other argument is malformed. */
        INVALID_ARGUMENT,
        /** The named guest, bridge, interface, template or master does not exist. */
        NOT_FOUND,
        /** Something of that name already exists. */
        ALREADY_EXISTS,
        /** The object exists on the host but Dumm did not create it; Dumm will not touch it. */
        NOT_OWNED,
        /** The operation does not fit the object's state (e.g. deleting a running guest). */
        INVALID_STATE,
        /** No backend of that name is registered right now. */
        BACKEND_UNAVAILABLE,
        /** A guest did not boot, or stopped answering. */
        GUEST_FAILURE,
        /** An operation did not finish in time. */
        TIMEOUT,
        /** The host refused a system call (permissions, missing kernel feature, I/O). */
        HOST_ERROR
    }

    private final Reason reason;

    public DummException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public DummException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
