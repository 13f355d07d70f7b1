package org.dumm.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A guest's definition as persisted in {@code guests/<name>/guest.json} (links live in mesh.json).
 * {@code modules} is the modules directory the user named, or null for the one found for the kernel.
 */
record GuestRecord(String name, String backend, String kernel, String master, int memoryMb,
                   List<String> extraArgs, List<IfaceRecord> interfaces, String modules) {

    GuestRecord {
        extraArgs = extraArgs == null ? List.of() : List.copyOf(extraArgs);
        interfaces = interfaces == null ? List.of() : List.copyOf(interfaces);
    }

    /** A definition whose modules are found for its kernel. */
    GuestRecord(String name, String backend, String kernel, String master, int memoryMb, List<String> extraArgs,
                List<IfaceRecord> interfaces) {
        this(name, backend, kernel, master, memoryMb, extraArgs, interfaces, null);
    }

    Optional<IfaceRecord> iface(String ifaceName) {
        for (IfaceRecord i : interfaces) { // not a stream: on every connect, often interpreted
            if (i.name().equals(ifaceName)) {
                return Optional.of(i);
            }
        }
        return Optional.empty();
    }

    GuestRecord withIface(IfaceRecord iface) {
        List<IfaceRecord> list = new ArrayList<>();
        boolean replaced = false;
        for (IfaceRecord i : interfaces) {
            if (i.name().equals(iface.name())) {
                list.add(iface);
                replaced = true;
            } else {
                list.add(i);
            }
        }
        if (!replaced) {
            list.add(iface);
            list.sort((a, b) -> Integer.compare(number(a.name()), number(b.name())));
        }
        return new GuestRecord(name, backend, kernel, master, memoryMb, extraArgs, list, modules);
    }

    GuestRecord updateIface(String ifaceName, UnaryOperator<IfaceRecord> change) {
        return withIface(change.apply(iface(ifaceName).orElseThrow()));
    }

    GuestRecord withoutIface(String ifaceName) {
        List<IfaceRecord> list = new ArrayList<>(interfaces);
        list.removeIf(i -> i.name().equals(ifaceName));
        return new GuestRecord(name, backend, kernel, master, memoryMb, extraArgs, list, modules);
    }

    /**
     * The digits of an interface name as a number (eth12: 12). Without a regex: a connect sorts
     * the guest's interfaces with it, and compiling a pattern per comparison cost ~0.4 ms of a
     * connect to a guest with 60 interfaces.
     */
    private static int number(String iface) {
        int n = 0;
        for (int k = 0; k < iface.length(); k++) {
            char c = iface.charAt(k);
            if (c >= '0' && c <= '9') {
                n = n * 10 + (c - '0');
            }
        }
        return n;
    }
}
