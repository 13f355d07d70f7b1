package org.dumm.api;

/** Receives progress lines of a long operation (booting many guests, building a master). */
@FunctionalInterface
public interface Progress {
    /** A progress sink that drops everything. */
    Progress NONE = message -> { };

    /** One human-readable line, e.g. "started 12/50 guests". */
    void report(String message);
}
