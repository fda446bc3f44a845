// Stream budgets for streams served by connect-es (gRPC-protocol Session and Replicate): the
// HTTP server puts each connection's budget into the call's context values.
import { createContextKey, type HandlerContext } from '@connectrpc/connect';
import { ConnectionBudget, StreamBudget, type BudgetLimits, type NodeBudget } from './stream-budget.js';

/** The budget of the connection a call arrived on. */
export const connectionBudgetKey = createContextKey<ConnectionBudget | undefined>(undefined, { description: 'quorumkv: the connection budget' });

/** Makes the budget of one connect-es stream. */
export type StreamBudgetFactory = (ctx: HandlerContext, onRoom: () => void) => StreamBudget;

/** A factory of stream budgets with the node's limits. */
export function streamBudgetFactory(o: { stream: BudgetLimits; connection: BudgetLimits; node: NodeBudget; initialResultBytes: number }): StreamBudgetFactory {
  return (ctx, onRoom) => new StreamBudget(o.stream, ctx.values.get(connectionBudgetKey) ?? new ConnectionBudget(o.connection, o.node), o.initialResultBytes, onRoom);
}
