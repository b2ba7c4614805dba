import type { ApplyChannel, ApplyMsg } from '../../../labs/api/index.ts';

/**
 * The lab's unbuffered `chan ApplyMsg`: a rendezvous. `send` resolves only when the receiver has taken the message,
 * so a Raft that awaits `send` is held up while the tester handles the previous message (and may call back into it).
 * Several senders queue in the order they sent.
 */
export class RendezvousChannel implements ApplyChannel {
  readonly #senders: Array<{ msg: ApplyMsg; taken: () => void }> = [];
  readonly #receivers: Array<(msg: ApplyMsg) => void> = [];

  send(msg: ApplyMsg): Promise<void> {
    const receiver = this.#receivers.shift();
    if (receiver) {
      receiver(msg);
      return Promise.resolve();
    }
    return new Promise((taken) => this.#senders.push({ msg, taken }));
  }

  receive(): Promise<ApplyMsg> {
    const sender = this.#senders.shift();
    if (sender) {
      sender.taken();
      return Promise.resolve(sender.msg);
    }
    return new Promise((resolve) => this.#receivers.push(resolve));
  }

  /** Messages sent but not yet taken. */
  get waitingSenders(): number {
    return this.#senders.length;
  }
}
