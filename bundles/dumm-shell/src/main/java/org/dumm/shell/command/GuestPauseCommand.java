package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "guest-pause", description = "Freezes a running guest")
public class GuestPauseCommand extends MeshCommand {

    @Argument(index = 0, name = "name", required = true)
    @Completion(GuestNameCompleter.class)
    String name;

    @Override
    public Object execute() {
        System.out.println("guest " + mesh.pauseGuest(name).name() + " paused");
        return null;
    }
}
