/*
 * `caravan agent`: the composition root of a running agent. It parses the
 * agent's flags, creates the loop and wires the roles and front ends.
 */
#ifndef CARAVAN_AGENT_AGENT_H
#define CARAVAN_AGENT_AGENT_H

/* Runs the agent with the arguments after "agent" until SIGINT/SIGTERM;
 * returns the process exit status. */
int agent_main(int argc, char **argv);

#endif
