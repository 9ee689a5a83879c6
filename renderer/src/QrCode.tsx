// A QR code drawn as SVG from the `qrcode` package's module matrix: React renders the
// squares, so no markup from elsewhere is injected into the page (the CSP stays strict).
import { create } from 'qrcode';
import { useMemo } from 'react';

export function QrCode({ text, label, size = 180 }: { text: string; label: string; size?: number }) {
  const { n, d } = useMemo(() => {
    const m = create(text, { errorCorrectionLevel: 'M' }).modules;
    let path = '';
    for (let r = 0; r < m.size; r++) {
      for (let c = 0; c < m.size; c++) if (m.data[r * m.size + c]) path += `M${c + 4} ${r + 4}h1v1h-1z`;
    }
    return { n: m.size + 8, d: path };
  }, [text]);
  return (
    <svg className="qr" role="img" aria-label={label} width={size} height={size} viewBox={`0 0 ${n} ${n}`} shapeRendering="crispEdges">
      {/* A light quiet zone of four modules on every side, as scanners expect, in both themes. */}
      <rect width={n} height={n} fill="#ffffff" />
      <path d={d} fill="#000000" />
    </svg>
  );
}
