package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "link-down", description = "Cuts an interface's carrier (the guest sees NO-CARRIER), leaving it plugged and on its bridge")
public class LinkDownCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Override
    public Object execute() {
        mesh.setCarrier(guest, iface, false);
        System.out.println(guest + "/" + iface + " link down");
        return null;
    }
}
