// The role of the account the console is connected as. The PBX enforces what each role may do; the UI
// only uses this to not show controls the PBX would refuse (a receptionist may block/unblock and reset
// a PIN to its default, nothing else).
import { createContext, useContext } from 'react';
import type { Role } from '../../../shared/domain';

export const RoleContext = createContext<Role | null>(null);

export function useRole(): Role | null {
  return useContext(RoleContext);
}

/** Whether the connected account is a receptionist (who can only block/unblock and reset PINs). */
export function useIsReceptionist(): boolean {
  return useContext(RoleContext) === 'receptionist';
}
