import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { App } from './App';
import './styles.css';

// shared/ brings zod along (schemas next to the constants we use). The renderer never needs zod's
// eval-based fast path, and under our CSP (no 'unsafe-eval') even probing for it would log a violation.
z.config({ jitless: true });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
