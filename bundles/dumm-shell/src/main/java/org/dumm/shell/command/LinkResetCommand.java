package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.dumm.api.Impairment;
import org.dumm.api.LinkDirection;

@Service
@Command(scope = "dumm", name = "link-reset", description = "Removes every impairment of an interface's cable, both ways")
public class LinkResetCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Override
    public Object execute() {
        mesh.setImpairment(guest, iface, LinkDirection.BOTH, Impairment.NONE);
        System.out.println(guest + "/" + iface + " impairment removed");
        return null;
    }
}
