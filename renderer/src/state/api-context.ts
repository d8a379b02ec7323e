import { createContext, useContext } from 'react';
import type { FleetApi } from '../../../shared/contract';

export const ApiContext = createContext<FleetApi | null>(null);

export function useApi(): FleetApi {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi outside <ApiContext.Provider>');
  return api;
}
