// (being written)
import type { Handlers } from './http.js';
import type { Role } from '../shared/domain.js';
type Ops = 'listAccounts' | 'createAccount' | 'updateAccount' | 'deleteAccount' | 'setAccountPassword' | 'getLoginSettings' | 'setLoginSettings';
export function accountHandlers<S extends { username: string; role: Role }>(_deps: unknown): Pick<Handlers<S>, Ops> {
  const no = (): never => { throw new Error('not yet'); };
  return { listAccounts: no, createAccount: no, updateAccount: no, deleteAccount: no, setAccountPassword: no, getLoginSettings: no, setLoginSettings: no };
}
