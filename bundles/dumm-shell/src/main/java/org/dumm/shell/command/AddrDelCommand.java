package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.Iface;

@Service
@Command(scope = "dumm", name = "addr-del", description = "Removes an address from a guest interface")
public class AddrDelCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Argument(index = 2, name = "cidr", required = true)
    String cidr;

    @Override
    public Object execute() {
        Iface i = mesh.removeAddress(guest, iface, cidr);
        System.out.println(guest + "/" + iface + ": " + Views.join(i.addresses()));
        return null;
    }
}
