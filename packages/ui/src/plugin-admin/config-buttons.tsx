import { TranslatableString, type IconButtonProps, type TemplatesType } from '@rjsf/utils'

/**
 * rjsf's array buttons say what they do in words: its own draw a Bootstrap
 * glyphicon, a font the dashboard does not load, so they showed as blank boxes.
 */
function TextButton(props: IconButtonProps & { text: TranslatableString; danger?: boolean }) {
  const { text, danger, iconType: _iconType, icon: _icon, uiSchema: _uiSchema, registry, className, ...button } = props
  const label = registry.translateString(text)
  return (
    <button type="button" {...button} className={[className, danger && 'danger'].filter(Boolean).join(' ')} aria-label={label} title={label}>
      {label}
    </button>
  )
}

/** The ButtonTemplates for ConfigForm's `templates`. */
export const CONFIG_BUTTONS: Partial<TemplatesType['ButtonTemplates']> = {
  AddButton: (props) => <TextButton {...props} text={TranslatableString.AddItemButton} />,
  CopyButton: (props) => <TextButton {...props} text={TranslatableString.CopyButton} />,
  MoveUpButton: (props) => <TextButton {...props} text={TranslatableString.MoveUpButton} />,
  MoveDownButton: (props) => <TextButton {...props} text={TranslatableString.MoveDownButton} />,
  RemoveButton: (props) => <TextButton {...props} text={TranslatableString.RemoveButton} danger />,
}
