/** sectorcrypt/agent: enroll with a key broker and ask it for keys. No server code in here. */
export { BrokerAgent } from './broker-agent.js';
export type { AgentEnrollOptions, AgentLoadOptions, SealedSecret, UnwrapOptions } from './broker-agent.js';
