package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.Iface;

@Service
@Command(scope = "dumm", name = "addr-add", description = "Adds an IPv4/IPv6 address (CIDR) to a guest interface")
public class AddrAddCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Argument(index = 2, name = "cidr", description = "e.g. 10.1.0.10/16", required = true)
    String cidr;

    @Override
    public Object execute() {
        Iface i = mesh.addAddress(guest, iface, cidr);
        System.out.println(guest + "/" + iface + ": " + String.join(" ", i.addresses()));
        return null;
    }
}
