// The dashboard's entry: its styles and the app, mounted into the page the server renders.
import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
