package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "link-up", description = "Restores an interface's carrier")
public class LinkUpCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Override
    public Object execute() {
        mesh.setCarrier(guest, iface, true);
        System.out.println(guest + "/" + iface + " link up");
        return null;
    }
}
