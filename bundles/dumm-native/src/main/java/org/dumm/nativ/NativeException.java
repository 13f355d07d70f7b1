package org.dumm.nativ;

import org.dumm.api.DummException;

/**
 * A failed system call: carries errno and reads like "creating TAP 'x': EPERM (Operation not
 * permitted)". Maps errno to the closest {@link DummException.Reason}.
 */
public class NativeException extends DummException {

    private static final long serialVersionUID = 1L;

    private final int errno;

    public NativeException(String operation, int errno, String description) {
        super(reasonFor(errno), operation + ": " + Errno.name(errno) + " (" + description + ")");
        this.errno = errno;
    }

    /** The errno value of the failed call. */
    public int errno() {
        return errno;
    }

    private static Reason reasonFor(int errno) {
        return switch (errno) {
            case Errno.EEXIST -> Reason.ALREADY_EXISTS;
            case Errno.ENOENT, Errno.ENODEV, Errno.ENXIO, Errno.ESRCH -> Reason.NOT_FOUND;
            case Errno.EINVAL, Errno.ENAMETOOLONG, Errno.ERANGE -> Reason.INVALID_ARGUMENT;
            case Errno.EBUSY -> Reason.INVALID_STATE;
            case Errno.ETIMEDOUT -> Reason.TIMEOUT;
            default -> Reason.HOST_ERROR;
        };
    }
}
