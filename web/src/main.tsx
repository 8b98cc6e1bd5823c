import { createRoot } from 'react-dom/client';

function App() {
  return <h1>inspector-connector</h1>;
}

createRoot(document.getElementById('root')!).render(<App />);
