package org.dumm.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** A guest's definition as persisted in {@code guests/<name>/guest.json} (links live in mesh.json). */
record GuestRecord(String name, String backend, String kernel, String master, int memoryMb,
                   List<String> extraArgs, List<IfaceRecord> interfaces) {

    GuestRecord {
        extraArgs = extraArgs == null ? List.of() : List.copyOf(extraArgs);
        interfaces = interfaces == null ? List.of() : List.copyOf(interfaces);
    }

    Optional<IfaceRecord> iface(String ifaceName) {
        return interfaces.stream().filter(i -> i.name().equals(ifaceName)).findFirst();
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
        return new GuestRecord(name, backend, kernel, master, memoryMb, extraArgs, list);
    }

    GuestRecord updateIface(String ifaceName, UnaryOperator<IfaceRecord> change) {
        return withIface(change.apply(iface(ifaceName).orElseThrow()));
    }

    GuestRecord withoutIface(String ifaceName) {
        List<IfaceRecord> list = new ArrayList<>(interfaces);
        list.removeIf(i -> i.name().equals(ifaceName));
        return new GuestRecord(name, backend, kernel, master, memoryMb, extraArgs, list);
    }

    private static int number(String iface) {
        return Integer.parseInt(iface.replaceAll("\\D", ""));
    }
}
